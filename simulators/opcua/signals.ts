/**
 * The "signals" model for benchmarks: N Double variables `Signals.S0000`… that all change on
 * every step (a seeded sawtooth per signal: start value in 0..100, +0.37 per step, wrapping at 100),
 * so a subscription sees N data changes per step. The simulator steps it on one timer every
 * `changeEveryMs`.
 */
import { Prng } from "../../src/core/prng.js";
import type { NodeSpec } from "./node-table.js";

const STEP = 0.37;

export class SignalsModel {
  readonly kind = "signals";
  readonly count: number;
  readonly #values: Float64Array;
  #steps = 0;

  constructor(count: number, seed = 1) {
    if (!Number.isInteger(count) || count < 1 || count > 100_000) throw new RangeError(`signal count must be 1..100000, got ${count}`);
    this.count = count;
    const prng = new Prng(seed);
    this.#values = new Float64Array(count);
    for (let i = 0; i < count; i++) this.#values[i] = Math.round(prng.uniform(0, 100) * 1000) / 1000;
  }

  /** Steps taken so far (each one changes every signal). */
  get steps(): number {
    return this.#steps;
  }

  value(index: number): number {
    const v = this.#values[index];
    if (v === undefined) throw new RangeError(`signal index must be 0..${this.count - 1}, got ${index}`);
    return v;
  }

  step(): void {
    const values = this.#values;
    for (let i = 0; i < values.length; i++) values[i] = ((values[i] as number) + STEP) % 100;
    this.#steps++;
  }

  snapshot(): Record<string, unknown> {
    return { count: this.count, steps: this.#steps, first: this.#values[0] };
  }
}

/** `Signals.S0000` for index 0 (four digits at least, more past 9999). */
export function signalName(index: number): string {
  return `Signals.S${String(index).padStart(4, "0")}`;
}

export function signalNodes(model: SignalsModel): NodeSpec[] {
  const specs: NodeSpec[] = [];
  for (let i = 0; i < model.count; i++) specs.push({ id: `s=${signalName(i)}`, dataType: "Double", read: () => model.value(i) });
  return specs;
}
