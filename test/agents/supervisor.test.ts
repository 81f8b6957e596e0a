import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "../../src/agents/agent.js";
import { LosError } from "../../src/core/errors.js";
import { supervisorHarness } from "./supervisor-helpers.js";

const make = (id: string, options: ConstructorParameters<typeof Agent>[1] = {}) => new Agent(id, { register: false, ...options });
/** an agent whose every decision throws: 5 in a row end its run with LOS_E_AGENT_FAILED */
const failing = (id: string) =>
  make(id, { tenant: "growers", capabilities: { read: ["gh1/*"], write: ["gh1/heater", "gh1/fan"] } }).onDecide(() => {
    throw new Error("broken decision");
  });

let h: ReturnType<typeof supervisorHarness> | undefined;
afterEach(async () => {
  await h?.supervisor.stop();
  h = undefined;
});

/** drive the failing agent through its 5 failed decisions (one at start, four on readings) */
async function crash(s: ReturnType<typeof supervisorHarness>, n = 4): Promise<void> {
  await s.settle(); // the start decision has run (a reading queued before it would join it)
  for (let i = 0; i < n; i++) await s.feed(s.good("gh1/temperature", 20 + i));
  await s.settle();
}

describe("Supervisor", () => {
  it("walks created → starting → running → stopping → stopped with a retained status per change", async () => {
    h = supervisorHarness();
    h.add(make("a1", { capabilities: { read: ["gh1/*"] } }).onDecide(() => {}));
    expect(h.states("a1")).toEqual(["created"]);
    await h.supervisor.start();
    expect(h.states("a1")).toEqual(["created", "starting", "running"]);
    expect(h.last("a1")).toEqual({ state: "running", ts: h.clock.now(), restarts: 0 });
    await h.supervisor.stop();
    expect(h.states("a1")).toEqual(["created", "starting", "running", "stopping", "stopped"]);
    expect(h.safe).toEqual([]); // an asked-for stop is no dead-man
    expect(h.persisted.at(-1)?.[0]).toMatchObject({ id: "a1", state: "stopped", isolation: "in-process" });
  });

  it("a crash drives the agent's writable points to safe first, then restarts after a doubling backoff", async () => {
    h = supervisorHarness();
    h.add(failing("flaky"), { restart: { backoffMinMs: 100, backoffMaxMs: 1000 } });
    await h.supervisor.start();
    await crash(h);
    expect(h.last("flaky")).toMatchObject({ state: "starting", restarts: 1, lastExit: { code: "LOS_E_AGENT_FAILED", message: "broken decision" } });
    expect(h.safe).toEqual([{ agent: "flaky", reason: "agent flaky failed", points: ["gh1/heater", "gh1/fan"] }]);
    h.clock.advance(99);
    await h.settle();
    expect(h.last("flaky")!.state).toBe("starting");
    h.clock.advance(1);
    await h.settle();
    expect(h.supervisor.statsOf("flaky")).toMatchObject({ state: "running", restarts: 1, failures: 6 }); // 5 in run one, 1 at the new start
    // the second crash waits twice as long
    await crash(h);
    expect(h.safe).toHaveLength(2);
    h.clock.advance(199);
    await h.settle();
    expect(h.last("flaky")!.state).toBe("starting");
    h.clock.advance(1);
    await h.settle();
    expect(h.supervisor.statsOf("flaky")).toMatchObject({ state: "running", restarts: 2 });
  });

  it("more than maxRestarts restarts within withinMs: failed with LOS_E_AGENT_RESTART_LIMIT, and it stays failed", async () => {
    h = supervisorHarness();
    h.add(failing("flaky"), { restart: { maxRestarts: 2, withinMs: 60_000, backoffMinMs: 10 } });
    await h.supervisor.start();
    for (let i = 0; i < 2; i++) {
      await crash(h);
      h.clock.advance(1000);
      await h.settle();
      expect(h.last("flaky")!.state).toBe("running");
    }
    await crash(h);
    const status = h.last("flaky")!;
    expect(status).toMatchObject({ state: "failed", restarts: 2, lastExit: { code: "LOS_E_AGENT_RESTART_LIMIT" } });
    expect(status.error).toMatch(/^LOS_E_AGENT_RESTART_LIMIT: more than 2 restarts within 60000 ms; last exit LOS_E_AGENT_FAILED: broken decision/);
    expect(h.safe).toHaveLength(3); // the last exit is made safe too
    h.clock.advance(600_000);
    await h.settle();
    expect(h.supervisor.statsOf("flaky")).toMatchObject({ state: "failed", restarts: 2 });
    expect(h.states("flaky").at(-1)).toBe("failed");
  });

  it("restarts spread beyond withinMs do not add up", async () => {
    h = supervisorHarness();
    h.add(failing("flaky"), { restart: { maxRestarts: 1, withinMs: 5000, backoffMinMs: 10 } });
    await h.supervisor.start();
    for (let i = 0; i < 3; i++) {
      await crash(h);
      expect(h.last("flaky")!.state).toBe("starting");
      h.clock.advance(6000);
      await h.settle();
      expect(h.last("flaky")!.state).toBe("running");
    }
    expect(h.supervisor.statsOf("flaky")!.restarts).toBe(3);
  });

  it("temporary agents are not restarted after a failure; transient ones are", async () => {
    h = supervisorHarness();
    h.add(failing("once"), { restart: { strategy: "temporary" } });
    h.add(failing("again"), { restart: { strategy: "transient", backoffMinMs: 10 } });
    await h.supervisor.start();
    await crash(h);
    expect(h.last("once")).toMatchObject({ state: "failed", restarts: 0, error: "LOS_E_AGENT_FAILED: broken decision" });
    expect(h.last("again")).toMatchObject({ state: "starting", restarts: 1 });
    h.clock.advance(10);
    await h.settle();
    expect(h.last("once")!.state).toBe("failed");
    expect(h.last("again")!.state).toBe("running");
    expect(h.safe.map((s) => s.agent).sort()).toEqual(["again", "once"]);
  });

  it("a decision longer than limits.decisionTimeoutMs is HUNG: its signal is aborted, its late calls refused, it restarts", async () => {
    h = supervisorHarness();
    let signal: AbortSignal | undefined;
    let release: (() => void) | undefined;
    let late: unknown;
    const agent = make("stuck", { tenant: "growers", capabilities: { write: ["gh1/fan"] } }).onDecide(async (p, ctx) => {
      if (p.trigger !== "start" || signal) return;
      signal = ctx.signal;
      await new Promise<void>((r) => (release = r));
      late = await ctx.actuate("gh1/fan", true, "too late");
    });
    h.add(agent, { limits: { decisionTimeoutMs: 100 }, heartbeatMs: 50, restart: { backoffMinMs: 10 } });
    await h.supervisor.start();
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r)); // the start decision is running
    h.clock.advance(100);
    await new Promise((r) => setImmediate(r));
    expect(h.last("stuck")!.state).toBe("running");
    h.clock.advance(50);
    await new Promise((r) => setImmediate(r));
    expect(h.last("stuck")).toMatchObject({ state: "starting", lastExit: { code: "LOS_E_AGENT_HUNG" } });
    expect(signal?.aborted).toBe(true);
    expect(h.safe).toEqual([{ agent: "stuck", reason: "agent stuck failed", points: ["gh1/fan"] }]);
    release!();
    await new Promise((r) => setImmediate(r));
    expect(late).toMatchObject({ ok: false, code: "LOS_E_AGENT_UNKNOWN" });
    expect(h.actuations).toEqual([]);
    h.clock.advance(10);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(h.supervisor.statsOf("stuck")).toMatchObject({ state: "running", restarts: 1 });
  });

  it("an agent added after start starts at once; a duplicate id is refused", async () => {
    h = supervisorHarness();
    await h.supervisor.start();
    h.add(make("late", { capabilities: { read: ["gh1/*"] } }).onDecide(() => {}));
    await h.settle();
    expect(h.states("late")).toEqual(["created", "starting", "running"]);
    expect(() => h!.add(make("late"))).toThrow(LosError);
  });

  it("an isolation kind without a host is LOS_E_AGENT_CONFIG at start", async () => {
    h = supervisorHarness();
    h.addConfig({ id: "boxed", isolation: "container", capabilities: {} });
    await expect(h.supervisor.start()).rejects.toMatchObject({ code: "LOS_E_AGENT_CONFIG", message: expect.stringContaining('isolation "container"') });
  });
});
