/**
 * The context of one task run: the agent's context with a run signal and actuations that carry
 * idempotency keys. The key of the nth write of a point in a run is `task:<taskId>:<point>:<n>`; it
 * does not depend on the attempt, so a re-run after a crash or a lost lease meets the writes the
 * earlier attempt made (the gateway replays them) and only new writes reach the device.
 */
import type { TaskRun } from "../core/task-types.js";
import type { Value } from "../core/types.js";
import type { ActuationResult } from "../devices/actuation.js";
import type { Coordinate } from "./coordination-helpers.js";
import type { AgentContext, TaskContext } from "./context.js";

export function idempotencyKey(taskId: string, point: string, n: number): string {
  return `task:${taskId}:${point}:${n}`;
}

export function taskContext(
  base: AgentContext,
  run: TaskRun,
  signal: AbortSignal,
  actuate: (point: string, value: Value, reason: string, key: string) => Promise<ActuationResult>,
  coordinate: Coordinate,
): TaskContext {
  const writes = new Map<string, number>();
  return {
    ...base,
    task: run,
    signal,
    actuate: (point, value, reason) => {
      const n = (writes.get(point) ?? 0) + 1;
      writes.set(point, n);
      return actuate(point, value, reason, idempotencyKey(run.taskId, point, n));
    },
    progress: (note) => coordinate(note === undefined ? { op: "task.progress", taskId: run.taskId, attempt: run.attempt } : { op: "task.progress", taskId: run.taskId, attempt: run.attempt, note }),
  };
}
