/**
 * What a believable value of a profile point looks like, when the profile only says its unit, name,
 * type and (for writable points) envelope: a range to wander in, where to start, and whether it is a
 * counter that only grows (energy, operating hours). Writable points start at their safe value (or
 * the envelope's middle ground) and stay where a client writes them.
 */
import type { DeviceProfile } from "../../src/config/profile-schema.js";
import type { NumericType } from "../modbus/value-codec.js";

/** A Modbus profile (the profile union narrowed on its protocol) and one of its points. */
export type ModbusDeviceProfile = Extract<DeviceProfile, { protocol: "modbus" }>;
export type ModbusPoint = ModbusDeviceProfile["points"][number];

export interface PointRange {
  /** engineering units */
  min: number;
  max: number;
  initial: number;
  /** random-walk size per sqrt(second), engineering units; 0 holds the value */
  drift: number;
  /** counters only grow, by about `drift` per second */
  counter: boolean;
}

type Band = [min: number, max: number];

const COUNTER_UNITS = new Set(["kwh", "wh", "mwh", "kvarh", "varh", "kvah", "vah", "ah", "h", "m3", "l"]);

/** Sensor bands by unit (lower case); names refine a few that depend on what is measured. */
function sensorBand(unit: string, name: string): Band | undefined {
  const n = name.toLowerCase();
  switch (unit.toLowerCase()) {
    case "v":
      if (/dc_bus/.test(n)) return [530, 560];
      if (/l\d_l\d|line_voltage|line_to_line/.test(n)) return [395, 405];
      if (/output/.test(n)) return [0, 400];
      return [225, 235];
    case "a":
      return [0.5, 10];
    case "w":
    case "va":
    case "var":
      return [100, 2000];
    case "kw":
    case "kva":
    case "kvar":
      return [0.1, 5];
    case "hz":
      return /output|motor/.test(n) ? [0, 50] : [49.9, 50.1];
    case "deg":
      return [0, 30];
    case "degc":
      return [18, 28];
    case "%rh":
      return [40, 60];
    case "%":
      return [0, 100];
    case "rpm":
      return [0, 1500];
    case "":
      return /power_factor|cos_phi/.test(n) ? [0.85, 1] : undefined;
    default:
      return undefined;
  }
}

/** Values that stay put: identities, enumerations, status words, fault codes, settings. */
function constantValue(unit: string, name: string): number {
  const n = name.toLowerCase();
  if (/unit_id|address|node/.test(n)) return 1;
  switch (unit.toLowerCase()) {
    case "ms":
      return 100;
    case "s":
      return 10;
    case "min":
      return 60;
    default:
      return 0;
  }
}

const INT_RAW: Record<Exclude<NumericType, "float32" | "float64">, Band> = {
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
};

/** The engineering values a point's raw type can carry. */
export function typeBand(type: NumericType, scale = 1, offset = 0): Band {
  if (type === "float32" || type === "float64") return [-1e9, 1e9];
  const [lo, hi] = INT_RAW[type];
  const a = lo * scale + offset;
  const b = hi * scale + offset;
  return [Math.min(a, b), Math.max(a, b)];
}

const clamp = (v: number, [lo, hi]: Band) => Math.min(hi, Math.max(lo, v));

/** The range a numeric register point of `profile` moves in (see the module comment). */
export function pointRange(point: ModbusPoint, type: NumericType): PointRange {
  const limits = typeBand(type, point.scale ?? 1, point.offset ?? 0);
  const unit = point.unit ?? "";
  const env = point.envelope;
  if (point.writable) {
    const lo = clamp(env?.min ?? limits[0], limits);
    const hi = clamp(env?.max ?? limits[1], limits);
    const safe = typeof env?.safeValue === "number" ? env.safeValue : undefined;
    const initial = safe ?? (lo <= 0 && 0 <= hi ? 0 : lo);
    return { min: lo, max: hi, initial: clamp(initial, [lo, hi]), drift: 0, counter: false };
  }
  if (COUNTER_UNITS.has(unit.toLowerCase())) {
    const initial = clamp(1000, limits);
    return { min: initial, max: limits[1], initial, drift: 0.05, counter: true };
  }
  const band = sensorBand(unit, point.name);
  if (band) {
    const [lo, hi] = [clamp(band[0], limits), clamp(band[1], limits)];
    return { min: lo, max: hi, initial: (lo + hi) / 2, drift: (hi - lo) * 0.02, counter: false };
  }
  const value = clamp(constantValue(unit, point.name), limits);
  return { min: value, max: value, initial: value, drift: 0, counter: false };
}

/** A profile's points that are numbers held in whole registers (not bits). */
export function isNumericRegisterPoint(point: ModbusPoint): boolean {
  return (point.register === "input" || point.register === "holding") && point.bit === undefined && point.type !== "bool";
}

