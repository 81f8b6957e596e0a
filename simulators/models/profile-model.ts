/**
 * A device played from its profile: the register bank declares the addresses the profile maps
 * (plus the small gaps its `maxGap` says a merged read may span; anything else answers exception
 * 02, as a real device does), every point holds a believable
 * value (profile-model-ranges.ts), sensor points wander on a slow seeded random walk, counters grow,
 * and writable points keep what a client wrote. Values are encoded with the simulator's own codec,
 * in the byte and word order the profile declares.
 */
import { LosError } from "../../src/core/errors.js";
import type { DeviceProfile } from "../../src/config/profile-schema.js";
import { RegisterBank, type AddressRange, type RegisterKind } from "../modbus/register-bank.js";
import { wordCount, type NumericType, type WordLayout } from "../modbus/value-codec.js";
import { Prng } from "../../src/core/prng.js";
import type { SimModel } from "./model.js";
import {
  isNumericRegisterPoint,
  pointRange,
  type ModbusDeviceProfile,
  type ModbusPoint as PointDef,
  type PointRange,
} from "./profile-model-ranges.js";

export interface ProfileModelOptions {
  profile: DeviceProfile;
  seed?: number;
}

interface NumberPoint {
  def: PointDef;
  kind: "input" | "holding";
  type: NumericType;
  layout: WordLayout;
  range: PointRange;
  /** engineering value */
  value: number;
  /** raw value last put in the bank, to notice values written straight into it */
  raw: number;
}

interface BitPoint {
  def: PointDef;
  value: boolean;
}

export class ProfileModel implements SimModel {
  readonly kind = "profile";
  readonly bank: RegisterBank;
  readonly profile: ModbusDeviceProfile;
  readonly #numbers: NumberPoint[] = [];
  readonly #bits: BitPoint[] = [];
  readonly #prng: Prng;

  constructor(options: ProfileModelOptions) {
    this.profile = modbusOnly(options.profile);
    const profile = this.profile;
    this.#prng = new Prng(options.seed ?? 1);
    this.bank = new RegisterBank({ ranges: profileRanges(profile) });
    for (const def of profile.points) {
      if (isNumericRegisterPoint(def)) this.#numbers.push(this.#numberPoint(def));
      else this.#bits.push({ def, value: typeof def.envelope?.safeValue === "boolean" ? def.envelope.safeValue : false });
    }
    this.#writeAll();
    // A client write is the new state of the points it touched.
    this.bank.onWrite((kind, address, values) => {
      const end = address + values.length;
      for (const p of this.#numbers) {
        if (p.kind === kind && p.def.address < end && p.def.address + wordCount(p.type) > address) this.#takeFromBank(p);
      }
      for (const b of this.#bits) {
        if (b.def.register === kind && b.def.address >= address && b.def.address < end) b.value = this.#readBit(b.def);
      }
    });
  }

  /** Engineering values of every point, by name. */
  values(): Record<string, number | boolean> {
    const out: Record<string, number | boolean> = {};
    for (const p of this.#numbers) out[p.def.name] = p.value;
    for (const b of this.#bits) out[b.def.name] = this.#readBit(b.def);
    return out;
  }

  /** The range each numeric point moves in (writable points: their envelope). */
  ranges(): Record<string, PointRange> {
    return Object.fromEntries(this.#numbers.map((p) => [p.def.name, { ...p.range }]));
  }

  snapshot(): Record<string, unknown> {
    return { vendor: this.profile.vendor, model: this.profile.model, values: this.values() };
  }

  sync(): void {
    for (const p of this.#numbers) {
      if (this.bank.readValue(p.kind, p.def.address, p.type, p.layout) !== p.raw) this.#takeFromBank(p);
    }
    for (const b of this.#bits) b.value = this.#readBit(b.def);
  }

  step(dtMs: number): void {
    if (!(dtMs > 0)) return;
    this.sync();
    const dt = dtMs / 1000;
    for (const p of this.#numbers) {
      const r = p.range;
      if (r.drift <= 0) continue;
      if (r.counter) {
        p.value = Math.min(r.max, p.value + r.drift * dt * (0.5 + this.#prng.next()));
      } else {
        let v = p.value + this.#prng.gaussian() * r.drift * Math.sqrt(dt);
        if (v > r.max) v = r.max - (v - r.max);
        if (v < r.min) v = r.min + (r.min - v);
        p.value = Math.min(r.max, Math.max(r.min, v));
      }
      this.#writeNumber(p);
    }
  }

  #numberPoint(def: PointDef): NumberPoint {
    const type = (def.type ?? "uint16") as NumericType;
    const d = this.profile.defaults;
    const layout: WordLayout = { wordOrder: def.wordOrder ?? d?.wordOrder ?? "big", byteOrder: def.byteOrder ?? d?.byteOrder ?? "big" };
    const range = pointRange(def, type);
    return { def, kind: def.register as "input" | "holding", type, layout, range, value: range.initial, raw: 0 };
  }

  #writeAll(): void {
    for (const p of this.#numbers) this.#writeNumber(p);
    // Bit fields last: they live inside registers whose whole value was just written.
    for (const b of this.#bits) this.#writeBit(b);
  }

  #writeNumber(p: NumberPoint): void {
    const scale = p.def.scale ?? 1;
    const offset = p.def.offset ?? 0;
    const raw = (p.value - offset) / scale;
    this.bank.writeValue(p.kind, p.def.address, p.type, raw, p.layout);
    p.raw = this.bank.readValue(p.kind, p.def.address, p.type, p.layout);
  }

  #takeFromBank(p: NumberPoint): void {
    p.raw = this.bank.readValue(p.kind, p.def.address, p.type, p.layout);
    p.value = p.raw * (p.def.scale ?? 1) + (p.def.offset ?? 0);
  }

  #writeBit(b: BitPoint): void {
    const d = b.def;
    if (d.register === "coil" || d.register === "discrete") this.bank.setBit(d.register, d.address, b.value);
    else this.bank.setRegisterBit(d.register, d.address, d.bit ?? 0, b.value);
  }

  #readBit(d: PointDef): boolean {
    if (d.register === "coil" || d.register === "discrete") return this.bank.getBit(d.register, d.address);
    return this.bank.getRegisterBit(d.register, d.address, d.bit ?? 0);
  }
}

function modbusOnly(profile: DeviceProfile): ModbusDeviceProfile {
  const p = profile as ModbusDeviceProfile;
  if (p.protocol !== "modbus") {
    throw new LosError("LOS_E_SIM_START", `the profile model serves Modbus profiles; ${p.vendor}/${p.model} is ${String(p.protocol)}`);
  }
  return p;
}

/** The gateway's default for `maxGap` (src/devices/modbus/read-plan.ts), restated: the simulator stands apart. */
const DEFAULT_MAX_GAP = 8;

/**
 * The addresses a profile maps, merged into ranges per kind; kinds it does not use get none. Gaps of
 * at most the profile's `maxGap` (bits: 16 times that, as the gateway plans reads) exist too: the
 * profile says the device answers reads across them, and the gateway's merged reads rely on it.
 */
export function profileRanges(profile: ModbusDeviceProfile): Record<RegisterKind, AddressRange[]> {
  const used: Record<RegisterKind, Set<number>> = { coil: new Set(), discrete: new Set(), input: new Set(), holding: new Set() };
  for (const p of profile.points) {
    const words = isNumericRegisterPoint(p) ? wordCount((p.type ?? "uint16") as NumericType) : 1;
    for (let i = 0; i < words; i++) used[p.register].add(p.address + i);
  }
  const gap = profile.defaults?.maxGap ?? DEFAULT_MAX_GAP;
  const out: Record<RegisterKind, AddressRange[]> = { coil: [], discrete: [], input: [], holding: [] };
  for (const kind of Object.keys(used) as RegisterKind[]) {
    const maxGap = kind === "coil" || kind === "discrete" ? gap * 16 : gap;
    for (const a of [...used[kind]].sort((x, y) => x - y)) {
      const last = out[kind][out[kind].length - 1];
      if (last && a - (last.start + last.count) <= maxGap) last.count = a - last.start + 1;
      else out[kind].push({ start: a, count: 1 });
    }
  }
  return out;
}
