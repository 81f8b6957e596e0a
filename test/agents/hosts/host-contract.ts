/**
 * The contract every AgentHost implementation runs (docs/isolation.md): start → ready, readings in
 * and actuations out through the gateway's calls, publications and their coded refusals, heartbeats
 * with usage, a clean stop, kill with a reason, a module broken at load, a crash.
 *
 *   describeHostContract("worker", { create: (o) => new WorkerHost(o), alive: (h) => h.alive });
 */
import { afterEach, describe, expect, it } from "vitest";
import type { IsolationKind } from "../../../src/config/agent-schema.js";
import type { AgentHost, HostOptions } from "../../../src/agents/hosts/agent-host.js";
import { fixtureOptions, IN, OUT, published, reading, until, type FixtureOptions, type Recorded } from "./host-harness.js";

export interface ContractSetup<H extends AgentHost = AgentHost> {
  /** build the host under test for the options the suite prepared */
  create(options: HostOptions): H;
  /** whether the host still has something running (a thread, a process); checked after failures */
  alive?(host: H): boolean;
  /** extra fixture options for this kind (heap limit, data dir…) */
  fixture?: FixtureOptions;
}

export function describeHostContract<H extends AgentHost>(kind: IsolationKind, setup: ContractSetup<H>): void {
  describe(`AgentHost contract: ${kind}`, () => {
    const started: H[] = [];
    afterEach(async () => {
      await Promise.all(started.splice(0).map((h) => h.stop(500)));
    });

    const make = (fixture: string, o: FixtureOptions = {}): { host: H; rec: Recorded } => {
      const { options, rec } = fixtureOptions(kind, fixture, { ...setup.fixture, ...o });
      const host = setup.create(options);
      started.push(host);
      return { host, rec };
    };
    const running = async (fixture: string, o: FixtureOptions = {}) => {
      const h = make(fixture, o);
      await h.host.start();
      return h;
    };

    it("starts: start() resolves once the agent runs, and its log reaches calls.log", async () => {
      const { host, rec } = await running("probe.mjs");
      expect(host.kind).toBe(kind);
      const line = await until(() => rec.logs.find((l) => l.msg === "probe started"), "the agent's first log line");
      expect(line.level).toBe("info");
      expect(line.obj).toMatchObject({ input: IN });
      if (setup.alive) expect(setup.alive(host)).toBe(true);
    });

    it("delivers readings; the agent actuates through calls and gets the result back", async () => {
      const { host, rec } = await running("probe.mjs");
      host.deliver([reading(IN, 21.5)]);
      const echo = await until(() => published<{ value: number; actuation: { ok: boolean; point: string } }>(rec, "echo"), "the echo");
      expect(rec.actuations).toEqual([{ point: OUT, value: 21.5, reason: "probe echo", ok: true }]);
      expect(echo.value).toBe(21.5);
      expect(echo.actuation).toMatchObject({ ok: true, point: OUT, value: 21.5 });
    });

    it("publishes through calls; a refusal comes back to the agent as a coded error", async () => {
      const { host, rec } = await running("probe.mjs");
      host.deliver([reading(IN, 3)]);
      const echo = await until(() => published<{ refusal?: { code: string } }>(rec, "echo"), "the echo");
      expect(echo.refusal?.code).toBe("LOS_E_PUBLISH_NOT_PERMITTED");
      expect(rec.published.some((p) => p.subtopic === "forbidden")).toBe(false);
    });

    it("refuses an actuation of a point the agent was not granted, and the agent sees the coded result", async () => {
      const { host, rec } = await running("actuate-ungranted.mjs", { settings: { point: "other/valve", value: 1 } });
      host.deliver([reading(IN, 1)]);
      const report = await until(() => published<{ result: { ok: boolean; code?: string } }>(rec, "report"), "the report");
      expect(report.result).toMatchObject({ ok: false, code: "LOS_E_WRITE_NOT_PERMITTED", point: "other/valve" });
      expect(rec.actuations).toEqual([{ point: "other/valve", value: 1, reason: "not my point", ok: false }]);
    });

    it("reports heartbeats with usage (decisions count, cpu time, heap)", async () => {
      const { host, rec } = await running("probe.mjs");
      // the first reading may share the start decision; the second has one of its own
      host.deliver([reading(IN, 1)]);
      await until(() => published(rec, "echo"), "the first echo");
      host.deliver([reading(IN, 2)]);
      await until(() => published<{ value: number }>(rec, "echo", (p) => p.value === 2), "the second echo");
      const beat = await until(() => rec.heartbeats.find((u) => (u.decisions ?? 0) >= 2), "a heartbeat after two decisions");
      expect(beat.cpuMs).toBeGreaterThanOrEqual(0);
      const usage = host.usage();
      expect(usage.decisions).toBeGreaterThanOrEqual(2);
      expect(Number.isFinite(usage.cpuMs)).toBe(true);
      expect(usage.heapBytes).toBeGreaterThan(0);
    });

    it("stops cleanly: stop() resolves, no exit is reported, deliver afterwards is harmless", async () => {
      const { host, rec } = await running("probe.mjs");
      await host.stop(2000);
      expect(rec.exits).toEqual([]);
      host.deliver([reading(IN, 1)]);
      await host.stop(100);
      if (setup.alive) expect(setup.alive(host)).toBe(false);
      expect(rec.exits).toEqual([]);
    });

    it("kill() ends the agent and reports exited with the given reason", async () => {
      const { host, rec } = await running("probe.mjs");
      host.kill({ code: "LOS_E_AGENT_HUNG", message: "watchdog: no heartbeat" });
      const exit = await until(() => rec.exits[0], "the exit");
      expect(exit).toEqual({ code: "LOS_E_AGENT_HUNG", message: "watchdog: no heartbeat" });
      if (setup.alive) expect(setup.alive(host)).toBe(false);
      expect(rec.exits).toHaveLength(1);
    });

    it("a module that throws at load rejects start with LOS_E_AGENT_CONFIG and leaves nothing running", async () => {
      const { host, rec } = make("throws-at-load.mjs");
      const err = await host.start().then(
        () => undefined,
        (e: unknown) => e as { code?: string; message?: string },
      );
      expect(err?.code).toBe("LOS_E_AGENT_CONFIG");
      expect(err?.message).toMatch(/broken at load/);
      if (setup.alive) expect(setup.alive(host)).toBe(false);
      await host.stop(100);
      expect(rec.exits).toEqual([]);
    });

    it("a crash (uncaught error in a timer) reports LOS_E_AGENT_CRASHED", async () => {
      const { host, rec } = await running("crash.mjs");
      host.deliver([reading(IN, 1)]);
      const exit = await until(() => rec.exits[0], "the exit");
      expect(exit.code).toBe("LOS_E_AGENT_CRASHED");
      expect(exit.message).toMatch(/uncaught error in a timer/);
      if (setup.alive) expect(setup.alive(host)).toBe(false);
    });

    it("an agent whose every decision fails gives up and is reported as LOS_E_AGENT_FAILED", async () => {
      const { host, rec } = await running("throws-always.mjs");
      for (let i = 0; i < 6 && rec.exits.length === 0; i++) {
        host.deliver([reading(IN, i)]);
        await until(() => (host.usage().failures ?? 0) > i || rec.exits.length > 0, `failure ${i + 1}`);
      }
      const exit = await until(() => rec.exits[0], "the exit");
      expect(exit.code).toBe("LOS_E_AGENT_FAILED");
      expect(exit.message).toMatch(/always fails/);
    });
  });
}
