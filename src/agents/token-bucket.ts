/**
 * Token buckets on the injected clock: a rate with a burst of one period's worth. FloodGuard says
 * when an agent keeps sending far above its rate (not a burst): its refusals drain a second bucket
 * that refills at `tolerance` times the rate, so only sustained excess empties it.
 */
import type { Clock } from "../core/clock.js";

export class TokenBucket {
  #clock: Clock;
  #rate: number;
  #periodMs: number;
  #capacity: number;
  #tokens: number;
  #at: number;

  /** `rate` tokens per `periodMs`, at most `rate` (or `burst`) saved up */
  constructor(clock: Clock, rate: number, periodMs: number, burst = rate) {
    this.#clock = clock;
    this.#rate = rate;
    this.#periodMs = periodMs;
    this.#capacity = Math.max(1, burst);
    this.#tokens = this.#capacity;
    this.#at = clock.monotonic();
  }

  take(): boolean {
    const now = this.#clock.monotonic();
    this.#tokens = Math.min(this.#capacity, this.#tokens + ((now - this.#at) * this.#rate) / this.#periodMs);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/**
 * Refusals tolerated: a burst of `seconds` × `tolerance` × rate (at least `minBurst`), and a steady
 * excess below `tolerance` × rate.
 */
export class FloodGuard {
  #bucket: TokenBucket;

  constructor(clock: Clock, ratePerSecond: number, { tolerance = 5, seconds = 3, minBurst = 20 } = {}) {
    this.#bucket = new TokenBucket(clock, tolerance * ratePerSecond, 1000, Math.max(minBurst, tolerance * ratePerSecond * seconds));
  }

  /** count one refusal; true when the sender has flooded long enough to be stopped */
  refused(): boolean {
    return !this.#bucket.take();
  }
}
