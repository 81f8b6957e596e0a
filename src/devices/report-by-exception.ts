/**
 * Report by exception, shared by every protocol: a point is reported when its value moved by more
 * than its deadband (numbers; any change for booleans and strings), when `refreshMs` passed since it
 * was last reported, or when its quality changed. State lives in parallel arrays indexed by point:
 * no per-point objects on the hot path.
 */
import { isLosError } from "../core/errors.js";
import type { Quality, Reading, Value } from "../core/types.js";

export const DEFAULT_REFRESH_MS = 60_000;

export class ExceptionReporter {
  readonly #ids: readonly string[];
  readonly #deadband: Float64Array;
  readonly #refreshMs: number;
  readonly #lastValue: (Value | null)[];
  readonly #lastQuality: (Quality | undefined)[];
  readonly #lastEmit: Float64Array;

  /** `ids[i]` is point i's `<device>/<point>` id, `deadbands[i]` its deadband (0: every change). */
  constructor(ids: readonly string[], deadbands: readonly number[], refreshMs = DEFAULT_REFRESH_MS) {
    this.#ids = ids;
    this.#deadband = Float64Array.from(deadbands);
    this.#refreshMs = refreshMs;
    this.#lastValue = new Array<Value | null>(ids.length).fill(null);
    this.#lastQuality = new Array<Quality | undefined>(ids.length).fill(undefined);
    this.#lastEmit = new Float64Array(ids.length).fill(-Infinity);
  }

  /**
   * Decide whether point i is reported; push its reading into `out` if so. `error` set means bad
   * quality (its code is reported when it is a LosError). `now` is monotonic, `ts` wall-clock.
   */
  consider(i: number, value: Value | null, error: Error | undefined, now: number, ts: number, out: Reading[]): void {
    const q: Quality = error ? "bad" : "good";
    let emit = q !== this.#lastQuality[i];
    if (!emit && q === "good") {
      const last = this.#lastValue[i];
      if (now - this.#lastEmit[i]! >= this.#refreshMs) emit = true;
      else if (typeof value === "number" && typeof last === "number") {
        emit = Math.abs(value - last) > this.#deadband[i]! || Number.isNaN(value) !== Number.isNaN(last);
      } else emit = value !== last;
    }
    if (!emit) return;
    this.#lastQuality[i] = q;
    this.#lastValue[i] = q === "good" ? value : null;
    this.#lastEmit[i] = now;
    const reading: Reading = { point: this.#ids[i]!, value: q === "good" ? value : null, quality: q, ts };
    if (error) reading.error = isLosError(error) ? error.code : "LOS_E_CODEC";
    out.push(reading);
  }
}
