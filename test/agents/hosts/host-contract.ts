/**
 * The contract every AgentHost implementation runs (docs/isolation.md): start → ready, readings in
 * and actuations out through the gateway's calls, publications and their coded refusals, heartbeats
 * with usage, a clean stop, kill with a reason, a module broken at load, a crash; task questions
 * (bids, awards, runs with idempotency keys, cancel), skills and coordination requests, malformed
 * and missing answers.
 *
 *   describeHostContract("worker", { create: (o) => new WorkerHost(o), alive: (h) => h.alive });
 */
import { afterEach, describe, expect, it } from "vitest";
import { LosError } from "../../../src/core/errors.js";
import type { CallForProposals, TaskRun } from "../../../src/core/task-types.js";
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

const cfp = (params: Record<string, unknown> = {}): CallForProposals => ({
  taskId: "t1",
  type: "probe-task",
  requires: [],
  params,
  priority: 5,
  objective: "max",
  bidDeadline: Date.now() + 1000,
  round: 1,
});
const run = (type: string, params: Record<string, unknown> = {}, attempt = 1): TaskRun => ({ taskId: "t1", type, params, attempt });
const never = () => new AbortController().signal;

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

    it("answers task questions: skills, a bid from its state, awards, and runs whose writes carry idempotency keys", async () => {
      const { host, rec } = await running("bidder.mjs");
      expect([...host.skills()].sort()).toEqual(["probe-task", "probe-throw", "probe-wait", "probing"]);
      host.deliver([reading(IN, 4)]);
      // the reading travels to the agent on its own: bid until the bid shows it (bounded)
      for (let i = 0; i < 500 && (await host.ask({ kind: "cfp", cfp: cfp({ base: 10 }) }, never()))?.value !== 14; i++) await new Promise((r) => setTimeout(r, 10));
      expect(await host.ask({ kind: "cfp", cfp: cfp({ base: 10 }) }, never())).toEqual({ value: 14, note: "probe bid" });
      expect(await host.ask({ kind: "cfp", cfp: cfp({ noBid: true }) }, never())).toBeUndefined();
      const award = { taskId: "t1", type: "probe-task", params: {}, attempt: 1, price: 2, leaseMs: 1000 };
      expect(await host.ask({ kind: "award", award }, never())).toEqual({ accept: true });
      expect(await host.ask({ kind: "award", award: { ...award, price: -1 } }, never())).toEqual({ accept: false, reason: "price below zero" });
      expect((await host.ask({ kind: "award", award: { ...award, type: "other" } }, never())).accept).toBe(false);
      const outcome = await host.ask({ kind: "run", run: run("probe-task", { value: 7 }) }, never());
      expect(outcome).toEqual({ ok: true, result: { writes: [true, true], put: true, got: 7, lease: "LOS_E_LEASE_CONFLICT" } });
      expect(rec.actuations.map((a) => a.value)).toEqual([7, 7]);
      expect(rec.keys).toEqual(["task:t1:dev/out:1", "task:t1:dev/out:2"]);
      expect(rec.coordinated).toEqual([
        { op: "fact.put", key: "probe/last", value: 7, scope: "tenant" },
        { op: "fact.get", key: "probe/last", scope: "tenant" },
        { op: "lease.acquire", point: OUT, ttlMs: 1000 },
      ]);
      // a second attempt writes with the same keys (the gateway replays them)
      await host.ask({ kind: "run", run: run("probe-task", { value: 7 }, 2) }, never());
      expect(rec.keys.slice(2)).toEqual(["task:t1:dev/out:1", "task:t1:dev/out:2"]);
    });

    it("a throwing run fails with LOS_E_AGENT_FAILED, an unknown type with LOS_E_TASK_STATE; cancel ends a waiting run", async () => {
      const { host } = await running("bidder.mjs");
      expect(await host.ask({ kind: "run", run: run("probe-throw") }, never())).toEqual({ ok: false, error: { code: "LOS_E_AGENT_FAILED", message: "task broke" } });
      expect(await host.ask({ kind: "run", run: run("nothing") }, never())).toMatchObject({ ok: false, error: { code: "LOS_E_TASK_STATE" } });
      const waiting = host.ask({ kind: "run", run: run("probe-wait", {}, 3) }, never());
      await host.ask({ kind: "cancel", taskId: "t1", attempt: 3, reason: "operator" }, never());
      const outcome = await waiting;
      expect(outcome).toMatchObject({ ok: false, error: { code: "LOS_E_TASK_STATE", message: expect.stringMatching(/cancelled: operator/) as string } });
    });

    it("a malformed answer rejects with LOS_E_AGENT_PROTOCOL and the agent keeps running", async () => {
      const { host } = await running("garbage-answers.mjs");
      await expect(host.ask({ kind: "cfp", cfp: cfp() }, never())).rejects.toMatchObject({ code: "LOS_E_AGENT_PROTOCOL" });
      await expect(host.ask({ kind: "award", award: { taskId: "t1", type: "probe-task", params: {}, attempt: 1, price: 1, leaseMs: 1000 } }, never())).rejects.toMatchObject({
        code: "LOS_E_AGENT_PROTOCOL",
      });
      await expect(host.ask({ kind: "run", run: run("probe-task") }, never())).rejects.toMatchObject({ code: "LOS_E_AGENT_PROTOCOL" });
      if (setup.alive) expect(setup.alive(host)).toBe(true);
    });

    it("an unanswered ask ends with the signal's reason, or LOS_E_AGENT_UNKNOWN when the agent ends; not running: LOS_E_AGENT_UNKNOWN", async () => {
      const { host, rec } = make("never-answers.mjs");
      await expect(host.ask({ kind: "cfp", cfp: cfp() }, never())).rejects.toMatchObject({ code: "LOS_E_AGENT_UNKNOWN" });
      await host.start();
      const caller = new AbortController();
      const bid = host.ask({ kind: "cfp", cfp: cfp() }, caller.signal);
      caller.abort(new LosError("LOS_E_BID_LATE", "bid window closed"));
      await expect(bid).rejects.toMatchObject({ code: "LOS_E_BID_LATE" });
      const pending = [host.ask({ kind: "cfp", cfp: cfp() }, never()), host.ask({ kind: "run", run: run("probe-task") }, never())];
      host.kill({ code: "LOS_E_AGENT_HUNG", message: "watchdog" });
      for (const p of pending) await expect(p).rejects.toMatchObject({ code: "LOS_E_AGENT_UNKNOWN" });
      await until(() => rec.exits[0], "the exit");
      await expect(host.ask({ kind: "cfp", cfp: cfp() }, never())).rejects.toMatchObject({ code: "LOS_E_AGENT_UNKNOWN" });
      expect(host.skills()).toEqual([]);
    });
  });
}
