/**
 * A generic device: serves any static register map and lets its read-only numbers drift slowly (a
 * bounded random walk that moves every step), so a poller sees fresh values on every poll. Used by
 * benchmarks with many devices. Points can come from `defaultRegisterPoints(n)` or from a device
 * profile's points (same field names: register, address, type, wordOrder). A value written straight
 * into the bank (a test, the control API) is taken in at the next step, and drift goes on from it.
 */
import { RegisterBank, type AddressRange, type RegisterKind } from "../modbus/register-bank.js";
import { wordCount, type NumericType, type WordOrder } from "../modbus/value-codec.js";
import { Prng } from "../../src/core/prng.js";
import type { SimModel } from "./model.js";

export interface RegisterPointSpec {
  register: RegisterKind;
  address: number;
  /** Numeric type for registers (default uint16); ignored for coils and discrete inputs. */
  type?: NumericType | "bool";
  wordOrder?: WordOrder;
  /** For type bool in a register: the bit (0..15) it occupies. */
  bit?: number;
  /** Initial raw value (default: middle of [min, max], or false). */
  initial?: number | boolean;
  /**
   * How fast the raw value wanders, in raw units per second (default: 5 for input registers, 0
   * for holding registers and coils). For discrete inputs: chance per second of a toggle.
   */
  drift?: number;
  /** Bounds of the raw value (default: 0..1000 for unsigned, -1000..1000 for signed and floats). */
  min?: number;
  max?: number;
}

export interface RegisterModelOptions {
  /** The map to serve (default: `defaultRegisterPoints(20)`). */
  points?: readonly RegisterPointSpec[];
  seed?: number;
}

interface Live {
  spec: RegisterPointSpec;
  value: number;
  /** What the model last wrote, to recognise a value written straight into the bank. */
  written: number | boolean | undefined;
  drift: number;
  min: number;
  max: number;
}

const PATTERN: readonly Pick<RegisterPointSpec, "register" | "type">[] = [
  { register: "input", type: "int16" },
  { register: "input", type: "uint16" },
  { register: "input", type: "float32" },
  { register: "input", type: "int16" },
  { register: "input", type: "uint32" },
  { register: "holding", type: "uint16" },
  { register: "holding", type: "int16" },
  { register: "coil", type: "bool" },
  { register: "discrete", type: "bool" },
  { register: "input", type: "float32" },
];

/** `count` points cycling through int16/uint16/uint32/float32 inputs, holdings, a coil and a discrete. */
export function defaultRegisterPoints(count = 20): RegisterPointSpec[] {
  const next: Record<RegisterKind, number> = { coil: 0, discrete: 0, input: 0, holding: 0 };
  const points: RegisterPointSpec[] = [];
  for (let i = 0; i < count; i++) {
    const p = PATTERN[i % PATTERN.length] as (typeof PATTERN)[number];
    const type = p.type ?? "uint16";
    const address = next[p.register];
    next[p.register] += type === "bool" ? 1 : wordCount(type);
    points.push({ register: p.register, type, address, wordOrder: "big" });
  }
  return points;
}

export class RegisterModel implements SimModel {
  readonly kind = "registers";
  readonly bank: RegisterBank;
  readonly #points: Live[];
  readonly #prng: Prng;

  constructor(options: RegisterModelOptions = {}) {
    this.#prng = new Prng(options.seed ?? 1);
    const specs = options.points ?? defaultRegisterPoints(20);
    this.bank = new RegisterBank({ ranges: coveringRanges(specs) });
    this.#points = specs.map((spec) => this.#init(spec));
    for (const p of this.#points) this.#write(p);
    // Client writes change the map; keep the live values in step so drift continues from there.
    this.bank.onWrite((kind) => {
      for (const p of this.#points) if (p.spec.register === kind) p.value = Number(this.#read(p));
    });
  }

  /** The current raw value of every point, in map order. */
  values(): Array<{ register: RegisterKind; address: number; value: number | boolean }> {
    return this.#points.map((p) => ({ register: p.spec.register, address: p.spec.address, value: this.#read(p) }));
  }

  /** Take in values written straight into the bank: drift goes on from them. */
  sync(): void {
    for (const p of this.#points) {
      const raw = this.#read(p);
      if (raw !== p.written) {
        p.value = Number(raw);
        p.written = raw;
      }
    }
  }

  snapshot(): Record<string, unknown> {
    return { points: this.values() };
  }

  step(dtMs: number): void {
    if (!(dtMs > 0)) return;
    this.sync();
    const dt = dtMs / 1000;
    for (const p of this.#points) {
      if (p.drift <= 0) continue;
      const kind = p.spec.register;
      if (kind === "discrete") {
        if (this.#prng.next() < p.drift * dt) p.value = p.value ? 0 : 1;
      } else if (kind === "coil") {
        continue;
      } else {
        const integer = p.spec.type !== "float32" && p.spec.type !== "float64";
        let delta = this.#prng.gaussian() * p.drift * Math.sqrt(dt);
        if (integer) delta = Math.sign(delta || 1) * Math.max(1, Math.round(Math.abs(delta)));
        let v = p.value + delta;
        if (v > p.max) v = p.max - (v - p.max);
        if (v < p.min) v = p.min + (p.min - v);
        p.value = Math.min(p.max, Math.max(p.min, v));
      }
      this.#write(p);
    }
  }

  #init(spec: RegisterPointSpec): Live {
    const bit = spec.register === "coil" || spec.register === "discrete" || spec.type === "bool";
    const signed = spec.type === "int16" || spec.type === "int32" || spec.type === "float32" || spec.type === "float64";
    const min = spec.min ?? (bit ? 0 : signed ? -1000 : 0);
    const max = spec.max ?? (bit ? 1 : 1000);
    const defaultDrift = spec.register === "input" ? 5 : 0;
    const initial = typeof spec.initial === "boolean" ? Number(spec.initial) : spec.initial ?? (bit ? 0 : Math.round((min + max) / 2));
    return { spec, value: initial, written: undefined, drift: spec.drift ?? defaultDrift, min, max };
  }

  #write(p: Live): void {
    const { register, address, type, wordOrder } = p.spec;
    if (register === "coil" || register === "discrete") this.bank.setBit(register, address, p.value !== 0);
    else if (type === "bool") this.bank.setRegisterBit(register, address, p.spec.bit ?? 0, p.value !== 0);
    else this.bank.writeValue(register, address, type ?? "uint16", p.value, { wordOrder: wordOrder ?? "big" });
    p.written = this.#read(p);
  }

  #read(p: Live): number | boolean {
    const { register, address, type, wordOrder } = p.spec;
    if (register === "coil" || register === "discrete") return this.bank.getBit(register, address);
    if (type === "bool") return this.bank.getRegisterBit(register, address, p.spec.bit ?? 0);
    return this.bank.readValue(register, address, type ?? "uint16", { wordOrder: wordOrder ?? "big" });
  }
}

/** Merge the points' addresses into declared ranges per kind. */
function coveringRanges(specs: readonly RegisterPointSpec[]): Record<RegisterKind, AddressRange[]> {
  const used: Record<RegisterKind, Set<number>> = { coil: new Set(), discrete: new Set(), input: new Set(), holding: new Set() };
  for (const s of specs) {
    const n = s.register === "coil" || s.register === "discrete" || s.type === "bool" ? 1 : wordCount(s.type ?? "uint16");
    for (let i = 0; i < n; i++) used[s.register].add(s.address + i);
  }
  const out = { coil: [], discrete: [], input: [], holding: [] } as Record<RegisterKind, AddressRange[]>;
  for (const kind of Object.keys(used) as RegisterKind[]) {
    for (const a of [...used[kind]].sort((x, y) => x - y)) {
      const last = out[kind][out[kind].length - 1];
      if (last && last.start + last.count === a) last.count++;
      else out[kind].push({ start: a, count: 1 });
    }
  }
  return out;
}
