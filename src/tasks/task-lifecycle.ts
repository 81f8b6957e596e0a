/**
 * The task lifecycle: which state may follow which (docs/tasks.md). Every change of a task's state
 * goes through `transition`, which refuses anything else with LOS_E_TASK_STATE.
 *
 *   pending → announced → awarded → running → done | failed
 *   pending → awarded (direct) · pending → running (a task run in code, task.local)
 *   announced → announced (next round) · awarded → announced (winner refused, silent or gone)
 *   running → announced (lease expired or winner died: re-announced with attempt + 1)
 *   any non-final → cancelled | expired | failed
 */
import { LosError } from "../core/errors.js";
import { FINAL_TASK_STATES, type TaskRecord, type TaskState } from "../core/task-types.js";

const NEXT: Readonly<Record<TaskState, readonly TaskState[]>> = {
  pending: ["announced", "awarded", "running", "failed", "cancelled", "expired"],
  announced: ["announced", "awarded", "failed", "cancelled", "expired"],
  awarded: ["running", "announced", "failed", "cancelled", "expired"],
  running: ["done", "failed", "announced", "cancelled", "expired"],
  done: [],
  failed: [],
  cancelled: [],
  expired: [],
};

export function isFinal(state: TaskState): boolean {
  return FINAL_TASK_STATES.includes(state);
}

export function canTransition(from: TaskState, to: TaskState): boolean {
  return NEXT[from].includes(to);
}

/** The task in its next state (a new object); `patch` sets the other fields that change with it. */
export function transition(task: TaskRecord, to: TaskState, now: number, patch: Partial<Omit<TaskRecord, "id" | "state">> = {}): TaskRecord {
  if (!canTransition(task.state, to)) {
    throw new LosError("LOS_E_TASK_STATE", `task ${task.id} is ${task.state}: it cannot become ${to}`, { details: { task: task.id, from: task.state, to } });
  }
  return { ...task, ...patch, state: to, updatedAt: now };
}
