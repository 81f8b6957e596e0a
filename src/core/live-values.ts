/**
 * The latest reading of every point on this gateway: what agents perceive, what interlocks check
 * and what the rate limit starts from. Updated in place on the hot path (no copies).
 */
import type { Reading } from "./types.js";

export class LiveValues {
  #values = new Map<string, Reading>();

  update(readings: readonly Reading[]): void {
    for (const r of readings) this.#values.set(r.point, r);
  }

  get(pointId: string): Reading | undefined {
    return this.#values.get(pointId);
  }

  entries(): IterableIterator<[string, Reading]> {
    return this.#values.entries();
  }

  get size(): number {
    return this.#values.size;
  }
}
