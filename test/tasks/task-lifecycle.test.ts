import { describe, expect, it } from "vitest";
import { isLosError } from "../../src/core/errors.js";
import { TASK_STATES, type TaskState } from "../../src/core/task-types.js";
import { resolveTaskDefaults } from "../../src/tasks/task-defaults.js";
import { canTransition, isFinal, transition } from "../../src/tasks/task-lifecycle.js";
import { taskRecordFromSpec } from "../../src/tasks/task-spec.js";

const ALLOWED: Record<TaskState, TaskState[]> = {
  pending: ["announced", "awarded", "running", "failed", "cancelled", "expired"],
  announced: ["announced", "awarded", "failed", "cancelled", "expired"],
  awarded: ["running", "announced", "failed", "cancelled", "expired"],
  running: ["done", "failed", "announced", "cancelled", "expired"],
  done: [],
  failed: [],
  cancelled: [],
  expired: [],
};

describe("task lifecycle", () => {
  it("allows exactly the table's transitions", () => {
    for (const from of TASK_STATES) for (const to of TASK_STATES) expect(canTransition(from, to), `${from} → ${to}`).toBe(ALLOWED[from].includes(to));
  });

  it("final states are done, failed, cancelled and expired", () => {
    expect(TASK_STATES.filter(isFinal)).toEqual(["done", "failed", "cancelled", "expired"]);
  });

  it("transition returns a new record with the patch and time; an illegal one is LOS_E_TASK_STATE", () => {
    const t = taskRecordFromSpec({ id: "t1", type: "x" }, { now: 1, defaults: resolveTaskDefaults(), createdBy: "code" });
    const a = transition(t, "announced", 5, { round: 1 });
    expect(a).toMatchObject({ state: "announced", round: 1, updatedAt: 5 });
    expect(t.state).toBe("pending");
    const done = transition(transition(transition(a, "awarded", 6, { winner: "w", attempt: 1 }), "running", 7), "done", 8, { result: 42 });
    expect(done).toMatchObject({ state: "done", winner: "w", attempt: 1, result: 42 });
    let err: unknown;
    try {
      transition(done, "running", 9);
    } catch (e) {
      err = e;
    }
    expect(isLosError(err, "LOS_E_TASK_STATE")).toBe(true);
  });
});
