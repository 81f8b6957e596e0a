/**
 * `retries`: a run that reports failure is tried again by another agent (the one that failed is
 * excluded; a direct task stays with its assignee) until the retries are used up; without them a
 * reported failure is final. Scripted agents on a manual clock, as in task-manager.test.ts.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { TaskRun } from "../../src/core/task-types.js";
import { driveUntil } from "./scripted-participants.js";
import { startManager, type ManagerHarness } from "./task-manager-harness.js";

const HEAT = ["heat"];
const fails = (code = "LOS_E_DEVICE_UNAVAILABLE") => () => ({ answer: { ok: false as const, error: { code, message: "valve stuck" } } });
const succeeds = (by: string) => (r: TaskRun) => ({ answer: { ok: true as const, result: { by, attempt: r.attempt } } });

describe("task retries (scripted agents, manual clock)", () => {
  let h: ManagerHarness;
  afterEach(async () => h.cleanup());
  const finished = (id: string) => driveUntil(h.clock, h.manager.waitFor(id));

  it("without retries a reported failure is final: failed with the agent's error, one failed run", async () => {
    h = startManager();
    h.dir.add({ id: "a1", skills: HEAT, bid: () => ({ answer: { value: 9 } }), run: fails() });
    const other = h.dir.add({ id: "a2", skills: HEAT, bid: () => ({ answer: { value: 5 } }), run: succeeds("a2") });
    const t = await finished(h.manager.create({ type: "heat" }, "code").id);
    expect(t).toMatchObject({ state: "failed", winner: "a1", failedRuns: 1, error: { code: "LOS_E_DEVICE_UNAVAILABLE", message: "valve stuck" } });
    expect(other.runs).toHaveLength(0);
  });

  it("with retries the task goes to the next agent with the next attempt, and the failing one is not asked again", async () => {
    h = startManager();
    const bad = h.dir.add({ id: "a1", skills: HEAT, bid: () => ({ answer: { value: 9 } }), run: fails() });
    h.dir.add({ id: "a2", skills: HEAT, bid: () => ({ answer: { value: 5 } }), run: succeeds("a2") });
    const id = h.manager.create({ type: "heat", retries: 2 }, "code").id;
    const t = await finished(id);
    expect(t).toMatchObject({ state: "done", winner: "a2", attempt: 2, retries: 2, failedRuns: 1, excluded: ["a1"], result: { by: "a2", attempt: 2 } });
    expect(bad.runs).toHaveLength(1);
    expect(bad.cfps).toHaveLength(1); // not called again after it failed
    const again = h.manager.events(id).find((e) => e.event === "reannounced");
    expect(again).toMatchObject({ agent: "a1", attempt: 1, code: "LOS_E_DEVICE_UNAVAILABLE", data: { message: "the run by a1 failed (retry 1 of 2): valve stuck" } });
  });

  it("retries used up: failed with the last agent's error after retries + 1 runs", async () => {
    h = startManager();
    for (const [id, value] of [["a1", 9], ["a2", 7], ["a3", 5]] as const) h.dir.add({ id, skills: HEAT, bid: () => ({ answer: { value } }), run: fails(`LOS_E_X_${id}`) });
    const t = await finished(h.manager.create({ type: "heat", retries: 1 }, "code").id);
    expect(t).toMatchObject({ state: "failed", winner: "a2", attempt: 2, failedRuns: 2, excluded: ["a1"], error: { code: "LOS_E_X_a2" } });
  });

  it("a direct task retries with its assignee (it is the only agent it may go to)", async () => {
    h = startManager();
    let n = 0;
    const a = h.dir.add({ id: "a1", skills: [], run: (r) => (++n === 1 ? fails()() : succeeds("a1")(r)) });
    const t = await finished(h.manager.create({ type: "x", assignee: "a1", retries: 1 }, "cli").id);
    expect(t).toMatchObject({ state: "done", winner: "a1", attempt: 2, failedRuns: 1, excluded: [], result: { by: "a1", attempt: 2 } });
    expect(a.runs.map((r) => r.attempt)).toEqual([1, 2]);
  });

  it("negotiation: a part whose run fails is negotiated again without that agent; a part still running meanwhile counts when it ends", async () => {
    h = startManager();
    const offer = (id: string, kw: number, price: number, ok = true) => ({
      id,
      skills: ["shed"],
      bid: (c: { quantity?: number }) => ({ answer: { value: price, quantity: Math.min(kw, c.quantity ?? kw) } }),
      run: (r: TaskRun) => (ok ? { answer: { ok: true as const, result: r.quantity } } : fails()()),
    });
    h.dir.add(offer("cheap", 3, 1, false));
    h.dir.add(offer("mid", 2, 2));
    h.dir.add(offer("dear", 5, 3));
    const id = h.manager.create({ type: "shed", allocation: "negotiation", params: { amount: 5 }, auction: { objective: "min" }, retries: 1 }, "code").id;
    const t = await finished(id);
    expect(t).toMatchObject({ state: "done", failedRuns: 1, excluded: ["cheap"] });
    const done = t.parts?.filter((p) => p.state === "done").map((p) => [p.agent, p.quantity]).sort();
    expect(done?.reduce((sum, [, q]) => sum + Number(q), 0)).toBe(5);
    expect(done?.map(([agent]) => agent)).toEqual(["dear", "mid"]);
    expect(t.result).toMatchObject({ results: { mid: 2, dear: 3 } });
    expect(h.manager.events(id).some((e) => e.event === "stale-outcome")).toBe(false);
  });
});
