import { afterEach, describe, expect, it } from "vitest";
import { isLosError } from "../../src/core/errors.js";
import type { TaskRecord } from "../../src/core/task-types.js";
import { drive, driveUntil } from "./scripted-participants.js";
import { startManager, type ManagerHarness } from "./task-manager-harness.js";

const HEAT = ["heat"];

describe("task manager (scripted agents, manual clock)", () => {
  let h: ManagerHarness;
  afterEach(async () => h.cleanup());

  const finished = (id: string) => driveUntil(h.clock, h.manager.waitFor(id));

  it("auction: the best bid wins, the task runs with the winner's attempt and ends done; events tell the story", async () => {
    h = startManager();
    const cheap = h.dir.add({ id: "a1", skills: HEAT, bid: () => ({ answer: { value: 3 } }), run: (r) => ({ answer: { ok: true, result: { by: "a1", attempt: r.attempt } } }) });
    const best = h.dir.add({ id: "a2", skills: HEAT, bid: () => ({ answer: { value: 7 } }), run: (r) => ({ answer: { ok: true, result: { by: "a2", attempt: r.attempt } }, afterMs: 50 }) });
    h.dir.add({ id: "a3", skills: ["cool"], bid: () => ({ answer: { value: 99 } }) });
    const created = h.manager.create({ type: "heat" }, "code");
    expect(h.store.tasks.get(created.id)?.state).toBe("pending"); // committed before create returned
    const done = await finished(created.id);
    expect(done).toMatchObject({ state: "done", winner: "a2", price: 7, attempt: 1, round: 1, result: { by: "a2", attempt: 1 } });
    expect(best.runs).toHaveLength(1);
    expect(cheap.runs).toHaveLength(0);
    expect(h.manager.events(created.id).map((e) => e.event)).toEqual(["created", "announced", "cfp", "bid", "bid", "awarding", "award-result", "awarded", "running", "done"]);
    expect(h.leases.holderOf(`task:${created.id}`)).toBeUndefined();
  });

  it("direct: awarded to the assignee without bids; a refusal fails the task with a code", async () => {
    h = startManager();
    const a = h.dir.add({ id: "a1", skills: [] });
    h.dir.add({ id: "no", skills: [], award: () => ({ answer: { accept: false, reason: "busy" } }) });
    const ok = await finished(h.manager.create({ type: "x", assignee: "a1" }, "cli").id);
    expect(ok).toMatchObject({ state: "done", winner: "a1", allocation: "direct", attempt: 1 });
    expect(a.cfps).toHaveLength(0);
    const refused = await finished(h.manager.create({ type: "x", assignee: "no" }, "cli").id);
    expect(refused).toMatchObject({ state: "failed", error: { code: "LOS_E_TASK_NO_BIDS" } });
    const missing = await finished(h.manager.create({ type: "x", assignee: "ghost" }, "cli").id);
    expect(missing).toMatchObject({ state: "failed", error: { code: "LOS_E_AGENT_UNKNOWN" } });
  });

  it("no bids in any round → failed LOS_E_TASK_NO_BIDS after maxRounds announcements", async () => {
    h = startManager();
    const shy = h.dir.add({ id: "a1", skills: HEAT });
    const t = await finished(h.manager.create({ type: "heat", auction: { maxRounds: 2 } }, "code").id);
    expect(t).toMatchObject({ state: "failed", round: 2, error: { code: "LOS_E_TASK_NO_BIDS" } });
    expect(shy.cfps.map((c) => c.round)).toEqual([1, 2]);
  });

  it("a winner that refuses is excluded and the runner-up gets the task with the next attempt", async () => {
    h = startManager();
    const fickle = h.dir.add({ id: "a1", skills: HEAT, bid: () => ({ answer: { value: 9 } }), award: () => ({ answer: { accept: false, reason: "changed my mind" } }) });
    h.dir.add({ id: "a2", skills: HEAT, bid: () => ({ answer: { value: 5 } }) });
    const t = await finished(h.manager.create({ type: "heat" }, "code").id);
    expect(t).toMatchObject({ state: "done", winner: "a2", attempt: 2, excluded: ["a1"] });
    expect(fickle.runs).toHaveLength(0);
  });

  it("a winner that vanishes after accepting: its lease runs out, the task is announced again and done once elsewhere; its late outcome is stale", async () => {
    h = startManager({ config: { auction: { bidWindowMs: 100, confirmMs: 100 }, leaseMs: 1000 } });
    const ghost = h.dir.add({ id: "a1", skills: HEAT, bid: () => ({ answer: { value: 9 } }), run: () => ({ answer: { ok: true, result: "late" }, afterMs: 5000, ignoreAbort: true }) });
    const steady = h.dir.add({ id: "a2", skills: HEAT, bid: () => ({ answer: { value: 5 } }), run: (r) => ({ answer: { ok: true, result: r.attempt } }) });
    const id = h.manager.create({ type: "heat" }, "code").id;
    await driveUntil(h.clock, h.manager.waitFor(id, ["running"]));
    expect(h.leases.holderOf(`task:${id}`)?.holder).toBe("a1");
    // a1 never heartbeats (no renew): after leaseMs the lease expires
    const t = await finished(id);
    expect(t).toMatchObject({ state: "done", winner: "a2", excluded: ["a1"], result: t.attempt });
    expect(t.attempt).toBeGreaterThan(1);
    expect(steady.runs).toHaveLength(1);
    expect(ghost.cancels.map((c) => c.taskId)).toEqual([id]);
    const events = h.manager.events(id);
    expect(events.find((e) => e.event === "reannounced")).toMatchObject({ agent: "a1", code: "LOS_E_TASK_LEASE_EXPIRED", attempt: 1 });
    await drive(h.clock, 5000, 100);
    expect(h.manager.events(id).find((e) => e.event === "stale-outcome")).toMatchObject({ agent: "a1", attempt: 1, code: "LOS_E_TASK_STALE" });
    expect(h.manager.get(id)).toMatchObject({ state: "done", winner: "a2" });
  });

  it("a winner whose agent exits while running: re-announced at once (onAgentExit)", async () => {
    h = startManager();
    h.dir.add({ id: "a1", skills: HEAT, bid: () => ({ answer: { value: 9 } }), run: () => ({ never: true }) });
    h.dir.add({ id: "a2", skills: HEAT, bid: () => ({ answer: { value: 5 } }) });
    const id = h.manager.create({ type: "heat" }, "code").id;
    await driveUntil(h.clock, h.manager.waitFor(id, ["running"]));
    h.dir.remove("a1");
    h.manager.onAgentExit("a1", "LOS_E_AGENT_CRASHED", "crashed");
    const t = await finished(id);
    expect(t).toMatchObject({ state: "done", winner: "a2", attempt: 2 });
  });

  it("deadline: a task not done in time expires and its runner is told to cancel", async () => {
    h = startManager({ config: { auction: { bidWindowMs: 100, confirmMs: 100 }, leaseMs: 60_000 } });
    const slow = h.dir.add({ id: "a1", skills: HEAT, bid: () => ({ answer: { value: 1 } }), run: () => ({ never: true }) });
    const id = h.manager.create({ type: "heat", deadline: h.clock.now() + 2000 }, "code").id;
    const t = await finished(id);
    expect(t).toMatchObject({ state: "expired", error: { code: "LOS_E_TASK_DEADLINE" } });
    expect(slow.cancels).toHaveLength(1);
    expect(h.leases.holderOf(`task:${id}`)).toBeUndefined();
  });

  it("cancel: a running task is cancelled, its runner told; cancelling again or an unknown task is coded", async () => {
    h = startManager();
    const a = h.dir.add({ id: "a1", skills: HEAT, bid: () => ({ answer: { value: 1 } }), run: () => ({ never: true }) });
    const id = h.manager.create({ type: "heat" }, "code").id;
    await driveUntil(h.clock, h.manager.waitFor(id, ["running"]));
    const t = await h.manager.cancel(id, "user:op", "not needed");
    expect(t).toMatchObject({ state: "cancelled" });
    await drive(h.clock, 10);
    expect(a.cancels).toEqual([{ taskId: id, attempt: 1, reason: "cancelled by user:op: not needed" }]);
    const codeOf = async (p: Promise<unknown>) => p.then(() => "ok", (e: unknown) => (isLosError(e) ? e.code : String(e)));
    expect(await codeOf(h.manager.cancel(id, "x", "again"))).toBe("LOS_E_TASK_STATE");
    expect(await codeOf(h.manager.cancel("nope", "x", "y"))).toBe("LOS_E_TASK_UNKNOWN");
    expect(() => h.manager.create({ id, type: "heat" }, "code")).toThrow(expect.objectContaining({ code: "LOS_E_TASK_DUPLICATE" }) as Error);
  });

  it("negotiation: the amount is split across agents and the task is done when every part is", async () => {
    h = startManager();
    const offer = (kw: number, price: number) => ({ id: `l${kw}`, skills: ["shed"], bid: (c: { quantity?: number }) => ({ answer: { value: price, quantity: Math.min(kw, c.quantity ?? kw) } }), run: (r: { quantity?: number }) => ({ answer: { ok: true, result: r.quantity } }) });
    h.dir.add(offer(2, 1));
    h.dir.add(offer(3, 2));
    const t = await finished(h.manager.create({ type: "shed", allocation: "negotiation", params: { amount: 5 }, auction: { objective: "min" } }, "code").id);
    expect(t.state).toBe("done");
    expect(t.parts?.map((p) => [p.agent, p.quantity, p.state]).sort()).toEqual([["l2", 2, "done"], ["l3", 3, "done"]]);
    expect(t.result).toMatchObject({ results: { l2: 2, l3: 3 } });
  });

  it("negotiation: an award refused in the negotiation used an attempt number; the task's attempt comes after it", async () => {
    h = startManager();
    const offer = (id: string, kw: number, price: number, accept = true) => ({
      id,
      skills: ["shed"],
      bid: (c: { quantity?: number }) => ({ answer: { value: price, quantity: Math.min(kw, c.quantity ?? kw) } }),
      award: () => ({ answer: { accept } }),
      run: (r: { quantity?: number }) => ({ answer: { ok: true, result: r.quantity } }),
    });
    // the taker's part is awarded first (cheapest); the dearer part's agent refuses after it
    const taker = h.dir.add({ ...offer("taker", 5, 1), bid: (c: { quantity?: number; round: number }) => ({ answer: c.round === 1 ? { value: 1, quantity: 5 } : undefined }) });
    const refuser = h.dir.add(offer("dear-and-refuses", 5, 2, false));
    const t = await finished(h.manager.create({ type: "shed", allocation: "negotiation", params: { amount: 10 }, auction: { objective: "min" } }, "code").id);
    expect(t.parts?.map((p) => p.agent)).toEqual(["taker"]);
    const used = [...taker.awards, ...refuser.awards].map((a) => a.attempt);
    expect(new Set(used).size).toBe(used.length);
    expect(t.attempt).toBe(Math.max(...used));
  });

  it("priority: tasks created together are announced highest priority first, oldest first within one priority", async () => {
    h = startManager({ config: { concurrency: 1, auction: { bidWindowMs: 100, confirmMs: 100 } } });
    const order: string[] = [];
    h.dir.add({ id: "a1", skills: HEAT, bid: (c) => (order.push(c.taskId), { answer: { value: 1 } }) });
    const blocker = h.manager.create({ type: "heat", id: "mid" }, "code");
    const low = h.manager.create({ type: "heat", id: "low", priority: 1 }, "code");
    const high = h.manager.create({ type: "heat", id: "high", priority: 9 }, "code");
    for (const t of [blocker, low, high]) await finished(t.id);
    expect(order).toEqual(["high", "mid", "low"]);
  });

  it("restart: a pending task is allocated after reopening; a running one whose winner's lease holds is run again by it with the same attempt", async () => {
    h = startManager({ config: { auction: { bidWindowMs: 100, confirmMs: 100 }, leaseMs: 60_000 } });
    h.dir.add({ id: "a1", skills: HEAT, bid: () => ({ answer: { value: 1 } }), run: () => ({ never: true }) });
    const runningId = h.manager.create({ type: "heat" }, "code").id;
    await driveUntil(h.clock, h.manager.waitFor(runningId, ["running"]));
    h.dir.remove("a1");
    const pendingId = h.manager.create({ type: "cool" }, "code").id;
    await h.stop();

    const { clock, dataDir, dir } = h;
    const again = dir.add({ id: "a1", skills: HEAT, run: (r) => ({ answer: { ok: true, result: r.attempt } }) });
    dir.add({ id: "c1", skills: ["cool"], bid: () => ({ answer: { value: 1 } }) });
    h = startManager({ clock, dataDir, dir, config: { auction: { bidWindowMs: 100, confirmMs: 100 } } });
    expect(h.manager.get(runningId)?.state).toBe("running");
    h.manager.start();
    const resumed = await finished(runningId);
    expect(resumed).toMatchObject({ state: "done", winner: "a1", attempt: 1, result: 1 });
    expect(again.runs).toHaveLength(1);
    expect(h.manager.events(runningId).map((e) => e.event)).toContain("resumed");
    expect(await finished(pendingId)).toMatchObject({ state: "done", winner: "c1" });
  });

  it("restart: a running task whose winner's lease ran out while down is announced again", async () => {
    h = startManager({ config: { auction: { bidWindowMs: 100, confirmMs: 100 }, leaseMs: 1000 } });
    h.dir.add({ id: "a1", skills: HEAT, bid: () => ({ answer: { value: 9 } }), run: () => ({ never: true }) });
    const id = h.manager.create({ type: "heat" }, "code").id;
    await driveUntil(h.clock, h.manager.waitFor(id, ["running"]));
    await h.stop();
    const { clock, dataDir, dir } = h;
    clock.advance(5000);
    dir.remove("a1");
    dir.add({ id: "a2", skills: HEAT, bid: () => ({ answer: { value: 1 } }) });
    h = startManager({ clock, dataDir, dir });
    h.manager.start();
    const t: TaskRecord = await finished(id);
    expect(t).toMatchObject({ state: "done", winner: "a2", excluded: ["a1"] });
  });
});
