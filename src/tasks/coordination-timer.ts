/**
 * One timer for many deadlines (leases, facts): the owner computes its earliest deadline after each
 * change and calls `at`; the timer is moved only when that time changes, so thousands of leases
 * cost one pending timer, not one each.
 */
import type { Clock, TimerHandle } from "../core/clock.js";

export class DeadlineTimer {
  #clock: Clock;
  #fire: () => void;
  #handle: TimerHandle | undefined;
  #at = Infinity;
  #closed = false;

  constructor(clock: Clock, fire: () => void) {
    this.#clock = clock;
    this.#fire = fire;
  }

  /** Wake at gateway time `time` (now or past: at the next tick; Infinity: not at all). */
  at(time: number): void {
    if (this.#closed || (time === this.#at && this.#handle)) return;
    this.#clear();
    this.#at = time;
    if (time === Infinity) return;
    this.#handle = this.#clock.setTimeout(() => {
      this.#handle = undefined;
      this.#at = Infinity;
      if (!this.#closed) this.#fire();
    }, Math.max(0, time - this.#clock.now()));
    this.#handle.unref?.();
  }

  close(): void {
    this.#closed = true;
    this.#clear();
  }

  #clear(): void {
    if (this.#handle) this.#clock.clearTimeout(this.#handle);
    this.#handle = undefined;
    this.#at = Infinity;
  }
}
