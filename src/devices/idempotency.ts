/**
 * Idempotent actuation (docs/coordination.md): a write made inside a task carries a key
 * (`task:<taskId>:<point>:<n>`, the same in every attempt of the task). If an accepted write with
 * that key is already in the audit, the retried write is answered with it and the driver is not
 * touched, so a task that runs again after its agent died never actuates twice. Refused and failed
 * attempts are not found here: they do not consume the key.
 *
 * A replay also says whether a later accepted write changed the point since (the dead-man's safe
 * value when the first winner died, an operator): `superseded`. The earlier effect is then undone,
 * and the task decides whether to write again (its next write of the point has a new key).
 */
import type { Value } from "../core/types.js";

export const IDEMPOTENCY_KEY_MAX = 512;

export interface AcceptedWrite {
  id: number;
  point: string;
  value: Value;
}

export type ReplayCheck =
  | { kind: "new" }
  | { kind: "replay"; auditId: number; point: string; value: Value; superseded?: AcceptedWrite }
  | { kind: "invalid"; message: string };

/** Is this keyed write new, a replay of an accepted one, or a misuse of the key? */
export function checkReplay(
  find: ((key: string) => AcceptedWrite | undefined) | undefined,
  key: unknown,
  point: string,
  laterWrite?: (point: string, afterId: number) => AcceptedWrite | undefined,
): ReplayCheck {
  if (typeof key !== "string" || key === "" || key.length > IDEMPOTENCY_KEY_MAX) {
    return { kind: "invalid", message: `idempotencyKey must be a string of 1 to ${IDEMPOTENCY_KEY_MAX} characters` };
  }
  if (!find) return { kind: "invalid", message: "this actuation path keeps no audit of keys; write without an idempotencyKey" };
  const earlier = find(key);
  if (!earlier) return { kind: "new" };
  if (earlier.point !== point) {
    return { kind: "invalid", message: `idempotencyKey "${key}" was used for ${earlier.point} (audit #${earlier.id}), not ${point}` };
  }
  const later = laterWrite?.(point, earlier.id);
  return later ? { kind: "replay", auditId: earlier.id, point, value: earlier.value, superseded: later } : { kind: "replay", auditId: earlier.id, point, value: earlier.value };
}
