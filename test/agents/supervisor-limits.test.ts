import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "../../src/agents/agent.js";
import type { AgentContext } from "../../src/agents/context.js";
import { supervisorHarness } from "./supervisor-helpers.js";

const make = (id: string, options: ConstructorParameters<typeof Agent>[1] = {}) => new Agent(id, { register: false, ...options });

let h: ReturnType<typeof supervisorHarness> | undefined;
afterEach(async () => {
  await h?.supervisor.stop();
  h = undefined;
});

/** an in-process agent whose context the test uses directly, as its decisions would */
async function withContext(s: ReturnType<typeof supervisorHarness>, agent: Agent, options: Parameters<typeof s.add>[1]): Promise<AgentContext> {
  s.add(agent, options);
  await s.supervisor.start();
  await s.settle();
  return agent.context!;
}

describe("Supervisor limits", () => {
  it("publications and log lines share limits.messagesPerSecond; the excess is refused and counted", async () => {
    h = supervisorHarness();
    const ctx = await withContext(h, make("chatty", { capabilities: { publish: ["news"] } }), { limits: { messagesPerSecond: 5 } });
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) await ctx.publish("news", { i }).then(() => outcomes.push("ok"), (e: { code: string }) => outcomes.push(e.code));
    for (let i = 0; i < 3; i++) ctx.log.info({ i }, "line");
    await expect(ctx.publish("secrets", {})).rejects.toMatchObject({ code: "LOS_E_PUBLISH_NOT_PERMITTED" });
    expect(outcomes).toEqual(["ok", "ok", "ok", "ok"]);
    expect(h.published.map((p) => p.sub)).toEqual(["news", "news", "news", "news"]);
    expect(h.supervisor.statsOf("chatty")).toMatchObject({ messagesOut: 4, logLines: 1, rateLimited: 2, refused: 1 });
    await expect(ctx.publish("news", {})).rejects.toMatchObject({ code: "LOS_E_AGENT_RATE_LIMITED" });
    h.clock.advance(1000); // a second's worth of tokens again
    await ctx.publish("news", { again: true });
    expect(h.supervisor.statsOf("chatty")).toMatchObject({ messagesOut: 5, rateLimited: 3, state: "running" });
  });

  it("actuations over limits.actuationsPerMinute are refused with LOS_E_AGENT_RATE_LIMITED and audited", async () => {
    h = supervisorHarness();
    const ctx = await withContext(h, make("busy", { tenant: "growers", capabilities: { write: ["gh1/fan"] } }), { limits: { actuationsPerMinute: 3 } });
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await ctx.actuate("gh1/fan", i % 2 === 0, "toggle"));
    expect(results.map((r) => (r.ok ? "ok" : r.code))).toEqual(["ok", "ok", "ok", "LOS_E_AGENT_RATE_LIMITED", "LOS_E_AGENT_RATE_LIMITED"]);
    expect(h.actuations).toHaveLength(3);
    expect(h.actuations[0]!.actor).toEqual({ kind: "agent", id: "busy", tenant: "growers" });
    expect(h.audited).toEqual([
      { actor: { kind: "agent", id: "busy", tenant: "growers" }, point: "gh1/fan", code: "LOS_E_AGENT_RATE_LIMITED" },
      { actor: { kind: "agent", id: "busy", tenant: "growers" }, point: "gh1/fan", code: "LOS_E_AGENT_RATE_LIMITED" },
    ]);
    expect(h.supervisor.statsOf("busy")).toMatchObject({ actuations: 3, rateLimited: 2 });
    h.clock.advance(20_000); // one token per 20 s
    const later = await ctx.actuate("gh1/fan", true, "later");
    expect(later).toMatchObject({ ok: true });
    expect(h.supervisor.statsOf("busy")!.state).toBe("running"); // two refusals are no flood
  });

  it("an agent that keeps publishing at 10x its rate is killed with LOS_E_AGENT_RATE_LIMITED; a burst is not", async () => {
    h = supervisorHarness();
    const ctx = await withContext(h, make("flood", { capabilities: { publish: ["x"] } }), { limits: { messagesPerSecond: 5 }, restart: { strategy: "temporary" } });
    const second = async () => {
      for (let i = 0; i < 50; i++) await ctx.publish("x", i).catch(() => {});
      h!.clock.advance(1000);
      await h!.settle();
    };
    await second();
    expect(h.supervisor.statsOf("flood")!.state).toBe("running"); // one second of it is a burst
    for (let i = 0; i < 4 && h.supervisor.statsOf("flood")!.state === "running"; i++) await second();
    expect(h.supervisor.statsOf("flood")).toMatchObject({ state: "failed", lastExit: { code: "LOS_E_AGENT_RATE_LIMITED" } });
    expect(h.safe.map((s) => s.agent)).toEqual(["flood"]);
  });

  it("watchdog: an agent silent for watchdogMs after its first heartbeat is killed as HUNG", async () => {
    h = supervisorHarness();
    h.addConfig({ id: "ext", capabilities: {}, heartbeatMs: 100, restart: { backoffMinMs: 10 } });
    await h.supervisor.start();
    const host = h.fakes[0]!;
    h.clock.advance(1000); // not armed before the first heartbeat (an external agent may connect late)
    expect(host.killed).toEqual([]);
    host.options.events.heartbeat({ cpuMs: 1 });
    h.clock.advance(200);
    host.options.events.heartbeat({ cpuMs: 2 });
    h.clock.advance(300);
    expect(host.killed).toEqual([]);
    h.clock.advance(100);
    expect(host.killed).toEqual([{ code: "LOS_E_AGENT_HUNG", message: "no heartbeat for 300 ms" }]);
    await h.settle();
    expect(h.last("ext")).toMatchObject({ state: "starting", restarts: 1, lastExit: { code: "LOS_E_AGENT_HUNG" } });
    h.clock.advance(10);
    await h.settle();
    expect(h.fakes).toHaveLength(2);
    expect(h.supervisor.statsOf("ext")).toMatchObject({ state: "running", cpuMs: 14 }); // 7 per run from the fake host
  });

  it("a heartbeat reporting more heap than limits.heapMB kills the agent with LOS_E_AGENT_OUT_OF_MEMORY", async () => {
    h = supervisorHarness();
    h.addConfig({ id: "ext", capabilities: {}, limits: { heapMB: 16 }, restart: { strategy: "temporary" } });
    await h.supervisor.start();
    const host = h.fakes[0]!;
    host.options.events.heartbeat({ heapBytes: 8 * 1048576 });
    expect(h.supervisor.statsOf("ext")).toMatchObject({ heapBytes: 8 * 1048576 });
    host.options.events.heartbeat({ heapBytes: 17 * 1048576 });
    await h.settle();
    expect(host.killed.map((k) => k.code)).toEqual(["LOS_E_AGENT_OUT_OF_MEMORY"]);
    expect(h.last("ext")).toMatchObject({ state: "failed", error: expect.stringMatching(/^LOS_E_AGENT_OUT_OF_MEMORY: heap 17.0 MB is over limits.heapMB \(16\)/) });
  });

  it("a run over its CPU share is counted and logged; a restart within restart.withinMs starts yielded, a later one does not", async () => {
    h = supervisorHarness();
    h.addConfig({ id: "ext", capabilities: {}, restart: { backoffMinMs: 10, backoffMaxMs: 10, withinMs: 60_000, maxRestarts: 10 } });
    await h.supervisor.start();
    const first = h.fakes[0]!;
    expect(first.options.yieldAtStart).toBe(false);
    first.yielded = true;
    first.options.events.cpuOver?.({ percent: 97, sharePercent: 50, how: "idle" });
    expect(h.supervisor.statsOf("ext")).toMatchObject({ cpuYields: 1, state: "running" });
    first.options.events.exited({ code: "LOS_E_AGENT_CRASHED", message: "gone" });
    await h.settle();
    h.clock.advance(10);
    await h.settle();
    const second = h.fakes[1]!;
    expect(second.options.yieldAtStart).toBe(true);
    // the second run ends without having yielded: a restart long after the yielded run starts normal
    h.clock.advance(61_000);
    second.options.events.exited({ code: "LOS_E_AGENT_CRASHED", message: "gone" });
    await h.settle();
    h.clock.advance(10);
    await h.settle();
    expect(h.fakes[2]!.options.yieldAtStart).toBe(false);
    expect(h.supervisor.statsOf("ext")).toMatchObject({ cpuYields: 1, restarts: 2 });
  });

  it("a normal exit (LOS_E_CLOSED): permanent restarts, transient stops", async () => {
    h = supervisorHarness();
    h.addConfig({ id: "perm", capabilities: {}, restart: { backoffMinMs: 10 } });
    h.addConfig({ id: "trans", capabilities: {}, restart: { strategy: "transient" } });
    await h.supervisor.start();
    for (const host of h.fakes) host.options.events.exited({ code: "LOS_E_CLOSED", message: "done" });
    await h.settle();
    expect(h.last("trans")).toMatchObject({ state: "stopped", lastExit: { code: "LOS_E_CLOSED" } });
    expect(h.last("perm")).toMatchObject({ state: "starting", restarts: 1 });
    expect(h.safe.map((s) => s.reason).sort()).toEqual(["agent perm ended", "agent trans ended"]);
  });

  it("delivers to each host one batch of what its grants allow, and counts it", async () => {
    h = supervisorHarness();
    h.addConfig({ id: "grower", tenant: "growers", capabilities: { read: ["*"] } });
    h.addConfig({ id: "site", capabilities: { read: ["site/*"] } });
    await h.supervisor.start();
    const [grower, site] = h.fakes;
    await h.feed(h.good("gh1/t", 1), h.good("gh2/t", 2), h.good("site/outdoor", 3), h.good("site/indoor", 4));
    expect(grower!.delivered.map((b) => b.map((r) => r.point))).toEqual([["gh1/t", "site/outdoor"]]);
    expect(site!.delivered.map((b) => b.map((r) => r.point))).toEqual([["site/outdoor", "site/indoor"]]);
    expect(h.supervisor.statsOf("grower")!.messagesIn).toBe(2);
  });

  it("snapshots are persisted soon after a state change and on the clock", async () => {
    h = supervisorHarness({ persistEveryMs: 1000 });
    h.add(make("a1").onDecide(() => {}));
    await h.supervisor.start();
    await h.settle();
    const afterStart = h.persisted.length;
    expect(h.persisted.at(-1)!.map((a) => [a.id, a.state])).toEqual([["a1", "running"]]);
    h.clock.advance(1000);
    expect(h.persisted.length).toBe(afterStart + 1);
  });
});
