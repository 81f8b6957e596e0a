/**
 * Intent announcements (docs/coordination.md): an agent says "I will write <value> to <point> in
 * <inMs>" before it does. The gateway refuses the intent if another agent holds or has reserved the
 * point at any time in [now, now + inMs], or announced another value for that point in an
 * overlapping window; otherwise it publishes the intent (not retained) and keeps it until its time.
 */
import type { Clock } from "../core/clock.js";
import type { LeaseRecord } from "../core/task-types.js";
import { LEASE_MAX_MS, pointResource } from "./leases.js";

export interface Intent {
  agent: string;
  point: string;
  value: unknown;
  /** gateway time the write is planned for */
  at: number;
  reason: string;
  /** gateway time it was announced: the window is [announcedAt, at] */
  announcedAt: number;
}

export type IntentResult =
  | { ok: true; intent: Intent }
  | { ok: false; code: "LOS_E_LEASE_CONFLICT" | "LOS_E_REQUEST_INVALID"; message: string; holder?: string; until?: number };

export interface IntentsOptions {
  clock: Clock;
  /** the other holder's lease or reservation on a resource in [from, until), if any */
  conflictIn(resource: string, holder: string, from: number, until: number): LeaseRecord | undefined;
  /** publish an accepted intent (topics.intent); failures are the caller's to log */
  publish?(intent: Intent): void;
}

export class Intents {
  #opts: IntentsOptions;
  /** per point, the intents whose time has not come */
  #byPoint = new Map<string, Intent[]>();

  constructor(opts: IntentsOptions) {
    this.#opts = opts;
  }

  announce(agent: string, point: string, value: unknown, inMs: number, reason: string): IntentResult {
    if (typeof inMs !== "number" || !Number.isFinite(inMs) || inMs < 0 || inMs > LEASE_MAX_MS) {
      return { ok: false, code: "LOS_E_REQUEST_INVALID", message: `intent: inMs must be 0 to ${LEASE_MAX_MS} ms` };
    }
    if (typeof reason !== "string" || reason.trim() === "") return { ok: false, code: "LOS_E_REQUEST_INVALID", message: "intent: a reason is required" };
    const now = this.#opts.clock.now();
    const at = now + Math.round(inMs);
    const held = this.#opts.conflictIn(pointResource(point), agent, now, at + 1);
    if (held) {
      return {
        ok: false,
        code: "LOS_E_LEASE_CONFLICT",
        message: `agent "${held.holder}" ${held.kind === "lease" ? "holds" : "has reserved"} ${point} until ${new Date(held.until).toISOString()}`,
        holder: held.holder,
        until: held.until,
      };
    }
    const live = (this.#byPoint.get(point) ?? []).filter((i) => i.at >= now);
    const same = JSON.stringify(value);
    const clash = live.find((i) => i.agent !== agent && i.announcedAt <= at && now <= i.at && JSON.stringify(i.value) !== same);
    if (clash) {
      this.#set(point, live);
      return {
        ok: false,
        code: "LOS_E_LEASE_CONFLICT",
        message: `agent "${clash.agent}" announced ${JSON.stringify(clash.value)} for ${point} at ${new Date(clash.at).toISOString()}`,
        holder: clash.agent,
        until: clash.at,
      };
    }
    const intent: Intent = { agent, point, value, at, reason, announcedAt: now };
    // a new intent of the same agent for the point replaces its earlier one
    this.#set(point, [...live.filter((i) => i.agent !== agent), intent]);
    this.#opts.publish?.(intent);
    return { ok: true, intent: { ...intent } };
  }

  /** Intents whose time has not come (for docs/tests and the CLI). */
  list(): Intent[] {
    const now = this.#opts.clock.now();
    return [...this.#byPoint.values()].flat().filter((i) => i.at >= now).map((i) => ({ ...i }));
  }

  #set(point: string, list: Intent[]): void {
    if (list.length > 0) this.#byPoint.set(point, list);
    else this.#byPoint.delete(point);
  }
}
