/**
 * Tasks in a real gateway (greenhouse simulator, broker, SQLite, supervisor, in-process and worker
 * agents): auction, direct, a task run in code, agent-created tasks. tasks-failover.test.ts: winners
 * that vanish; tasks-restart.test.ts: a gateway restarted mid-task.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "../../src/agents/agent.js";
import { startHarness, waitFor, type Harness } from "./helpers.js";

const growers = { tenant: "growers", register: false } as const;

describe("tasks in a gateway", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("auction end to end: the best bidder wins, opens the vent through the checked path, the task is done", async () => {
    h = await startHarness({ temperatureC: 30 });
    const { gateway, sim } = h;
    for (const [id, bid] of [["low", 2], ["high", 8]] as const) {
      const a = new Agent(id, { ...growers, capabilities: { read: ["gh1/*"], write: ["gh1/vent"] } });
      a.onCallForProposals(() => ({ value: bid }));
      a.onTask("open-vent", async (run, ctx) => {
        const r = await ctx.actuate("gh1/vent", true, `task ${run.taskId}`);
        if (!r.ok) throw new Error(r.message);
        return { by: id };
      });
      gateway.addAgent(a);
    }
    await waitFor(() => gateway.agents.running().length === 2, { what: "both agents running" });
    const created = gateway.tasks.create({ type: "open-vent", auction: { bidWindowMs: 200 } }, "code");
    const done = await gateway.tasks.waitFor(created.id);
    expect(done).toMatchObject({ state: "done", winner: "high", price: 8, attempt: 1, result: { by: "high" } });
    expect(sim.bank(1).getBit("coil", 2)).toBe(true);
    const audit = gateway.store.audit.list({ point: "gh1/vent" }).filter((r) => r.outcome === "accepted" && r.actor.id === "high");
    expect(audit).toHaveLength(1);
    expect(gateway.coordination.leases.holderOf(`task:${created.id}`)).toBeUndefined();
  });

  it("direct: the assignee runs it without bids; a task for a missing skill fails LOS_E_TASK_NO_BIDS", async () => {
    h = await startHarness();
    const a = new Agent("doer", { ...growers });
    let bids = 0;
    a.onCallForProposals(() => (bids++, { value: 1 }));
    a.onTask("note", (run) => ({ got: run.params }));
    h.gateway.addAgent(a);
    await waitFor(() => h!.gateway.agents.running().length === 1, { what: "agent running" });
    const t = await h.gateway.tasks.waitFor(h.gateway.tasks.create({ type: "note", assignee: "doer", params: { x: 1 } }, "code").id);
    expect(t).toMatchObject({ state: "done", allocation: "direct", winner: "doer", result: { got: { x: 1 } } });
    expect(bids).toBe(0);
    const none = await h.gateway.tasks.waitFor(h.gateway.tasks.create({ type: "weld", auction: { bidWindowMs: 20, maxRounds: 2 } }, "code").id);
    expect(none).toMatchObject({ state: "failed", round: 2, error: { code: "LOS_E_TASK_NO_BIDS" } });
  });

  it("a task run in code (assignTask) is recorded as a direct task; agents create tasks of their own tenant only", async () => {
    h = await startHarness();
    const a = new Agent("maker", { ...growers });
    a.onCallForProposals(() => ({ value: 1 }));
    a.onTask("count", () => 42);
    const replies: unknown[] = [];
    a.assignTask(async (ctx) => {
      replies.push(await ctx.createTask({ type: "count" }));
      replies.push(await ctx.createTask({ type: "count", tenant: "others" }));
    });
    h.gateway.addAgent(a);
    const local = await waitFor(() => h!.gateway.tasks.list().find((t) => t.id.startsWith("local.") && t.state === "done"), { what: "the local task done" });
    expect(local).toMatchObject({ allocation: "direct", winner: "maker", createdBy: "agent:maker", tenant: "growers" });
    await waitFor(() => replies.length === 2, { what: "both createTask replies" });
    expect(replies[0]).toMatchObject({ ok: true, task: { type: "count", tenant: "growers", createdBy: "agent:maker" } });
    expect(replies[1]).toMatchObject({ ok: false, code: "LOS_E_TASK_INVALID" });
    const made = (replies[0] as { task: { id: string } }).task.id;
    expect(await h.gateway.tasks.waitFor(made)).toMatchObject({ state: "done", winner: "maker", result: 42 });
  });
});
