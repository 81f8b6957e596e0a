/**
 * When to restart an agent, as Erlang/OTP supervisors do (one_for_one): the child's restart type
 * (permanent: always; transient: only after a failure; temporary: never), a delay that doubles from
 * backoffMinMs to backoffMaxMs with each recent restart, and a restart intensity: more than
 * maxRestarts restarts within withinMs and the agent stays failed.
 */
import type { ErrorCode } from "../core/errors.js";
import type { ResolvedRestart } from "../config/agent-manifest.js";

/** The code a host reports when an agent ended by itself, cleanly: not a failure. */
export const NORMAL_EXIT: ErrorCode = "LOS_E_CLOSED";

export type RestartDecision = { restart: true; delayMs: number } | { restart: false; why: "policy" | "intensity" };

export class RestartIntensity {
  #policy: ResolvedRestart;
  /** times of recent restarts (clock.monotonic) */
  #recent: number[] = [];

  constructor(policy: ResolvedRestart) {
    this.#policy = policy;
  }

  /** Decide after an exit at `now`; a restart is counted at once. */
  decide(exitCode: ErrorCode, now: number): RestartDecision {
    const p = this.#policy;
    const failure = exitCode !== NORMAL_EXIT;
    if (p.strategy === "temporary" || (p.strategy === "transient" && !failure)) return { restart: false, why: "policy" };
    this.#recent = this.#recent.filter((t) => now - t < p.withinMs);
    if (this.#recent.length + 1 > p.maxRestarts) return { restart: false, why: "intensity" };
    const delayMs = Math.min(p.backoffMaxMs, p.backoffMinMs * 2 ** this.#recent.length);
    this.#recent.push(now);
    return { restart: true, delayMs };
  }

  /** restarts counted within the current period */
  get recent(): number {
    return this.#recent.length;
  }
}
