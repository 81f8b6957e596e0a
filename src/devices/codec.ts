/**
 * Point codec: turns register words / bits into engineering values and back, for every point kind
 * (coils, discrete inputs, input and holding registers) and every data type of the profile schema.
 *
 * Byte order is the order of the two bytes inside each 16-bit register; word order is the order of
 * the registers inside a 32/64-bit value. Together they give the four classic layouts of a 32-bit
 * value whose big-endian bytes are A B C D:
 *   byte big,    word big    → ABCD (Modbus standard)
 *   byte big,    word little → CDAB ("word swapped")
 *   byte little, word big    → BADC ("byte swapped")
 *   byte little, word little → DCBA
 * engineering = raw * scale + offset on read; raw = (engineering - offset) / scale on write, rounded
 * for integer types and range-checked against the raw type (LOS_E_CODEC).
 */
import { LosError } from "../core/errors.js";
import type { Value } from "../core/types.js";
import type { DataType, ModbusPointDef, RegisterKind } from "../config/profile-schema.js";
import { REGISTER_WORDS } from "../config/register-words.js";

export type Order = "big" | "little";

/** A point with every codec-relevant field resolved (profile defaults applied, counts computed). */
export interface CodecPoint {
  name: string;
  register: RegisterKind;
  address: number;
  type: DataType;
  byteOrder: Order;
  wordOrder: Order;
  /** bit field inside a 16-bit register, for type bool on input/holding registers */
  bit: number | undefined;
  scale: number;
  offset: number;
  /** registers (input/holding) or bits (coil/discrete) the point occupies */
  count: number;
  /** decimals kept after scaling an integer raw value (from scale and offset); -1 = no rounding */
  decimals: number;
}

export interface CodecDefaults {
  byteOrder?: Order;
  wordOrder?: Order;
}

const REGISTER_COUNT = REGISTER_WORDS;

const RAW_RANGE: Record<Exclude<DataType, "bool" | "float32" | "float64">, [number, number]> = {
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
};

const FLOAT32_MAX = 3.4028234663852886e38;

/** Number of 16-bit registers a value of this type occupies. */
export function registerCount(type: DataType): number {
  return REGISTER_COUNT[type];
}

export function isBitKind(kind: RegisterKind): boolean {
  return kind === "coil" || kind === "discrete";
}

function decimalsOf(n: number): number {
  if (Number.isInteger(n)) return 0;
  const s = String(n);
  const exp = /e-(\d+)$/.exec(s);
  if (exp) {
    const mantissa = s.slice(0, s.indexOf("e"));
    const dot = mantissa.indexOf(".");
    return Number(exp[1]) + (dot < 0 ? 0 : mantissa.length - dot - 1);
  }
  const dot = s.indexOf(".");
  return dot < 0 ? 0 : s.length - dot - 1;
}

function profileError(point: ModbusPointDef, message: string): LosError {
  return new LosError("LOS_E_PROFILE_INVALID", `point ${point.name}: ${message}`, { details: { point: point.name } });
}

/**
 * Resolve a profile point for the codec. Throws LOS_E_PROFILE_INVALID when the point's shape is
 * impossible (a numeric type on a coil, a bit field on a coil, a bit on a non-bool type…).
 */
export function resolvePoint(point: ModbusPointDef, defaults: CodecDefaults = {}): CodecPoint {
  const bitKind = isBitKind(point.register);
  const type: DataType = point.type ?? (bitKind || point.bit !== undefined ? "bool" : "uint16");
  if (bitKind && type !== "bool") throw profileError(point, `a ${point.register} holds one bit; type must be bool, not ${type}`);
  if (bitKind && point.bit !== undefined) throw profileError(point, `bit is only for bool fields inside registers, not ${point.register}`);
  if (point.bit !== undefined && type !== "bool") throw profileError(point, `bit requires type bool, not ${type}`);
  if (point.writable && (point.register === "input" || point.register === "discrete")) {
    throw profileError(point, `a ${point.register} is read-only; only coils and holding registers may be writable`);
  }
  const scale = point.scale ?? 1;
  const offset = point.offset ?? 0;
  if (scale === 0 || !Number.isFinite(scale)) throw profileError(point, "scale must be a finite non-zero number");
  const count = bitKind ? 1 : registerCount(type);
  if (point.address + count - 1 > 0xffff) throw profileError(point, "the value runs past address 65535");
  const isInt = type !== "bool" && type !== "float32" && type !== "float64";
  const decimals = isInt && (scale !== 1 || offset !== 0) ? Math.min(12, Math.max(decimalsOf(scale), decimalsOf(offset))) : -1;
  return {
    name: point.name,
    register: point.register,
    address: point.address,
    type,
    byteOrder: point.byteOrder ?? defaults.byteOrder ?? "big",
    wordOrder: point.wordOrder ?? defaults.wordOrder ?? "big",
    bit: point.bit,
    scale,
    offset,
    count,
    decimals,
  };
}

// One scratch buffer for the whole process: decode/encode are synchronous, so it is never shared
// between two calls in flight. Avoids an allocation per value on the polling hot path.
const scratch = new DataView(new ArrayBuffer(8));

/** Copy `n` registers into the scratch buffer in canonical big-endian order (ABCD…). */
function loadWords(p: CodecPoint, words: ArrayLike<number>, at: number, n: number): void {
  const swapWords = p.wordOrder === "little";
  const swapBytes = p.byteOrder === "little";
  for (let i = 0; i < n; i++) {
    const w = words[at + (swapWords ? n - 1 - i : i)];
    if (w === undefined) throw new LosError("LOS_E_CODEC", `point ${p.name}: register data too short`);
    const word = w & 0xffff;
    scratch.setUint16(2 * i, swapBytes ? ((word & 0xff) << 8) | (word >> 8) : word);
  }
}

/** Read `n` registers back out of the scratch buffer in the point's order. */
function storeWords(p: CodecPoint, n: number): number[] {
  const swapWords = p.wordOrder === "little";
  const swapBytes = p.byteOrder === "little";
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const word = scratch.getUint16(2 * i);
    out[swapWords ? n - 1 - i : i] = swapBytes ? ((word & 0xff) << 8) | (word >> 8) : word;
  }
  return out;
}

/** The raw (unscaled) number held by a register point starting at `words[at]`. */
export function decodeRaw(p: CodecPoint, words: ArrayLike<number>, at = 0): number {
  loadWords(p, words, at, p.count);
  switch (p.type) {
    case "int16":
      return scratch.getInt16(0);
    case "uint16":
    case "bool":
      return scratch.getUint16(0);
    case "int32":
      return scratch.getInt32(0);
    case "uint32":
      return scratch.getUint32(0);
    case "float32":
      return scratch.getFloat32(0);
    case "float64":
      return scratch.getFloat64(0);
  }
}

function scaleRaw(p: CodecPoint, raw: number): number {
  if (p.scale === 1 && p.offset === 0) return raw;
  const v = raw * p.scale + p.offset;
  if (p.decimals < 0) return v;
  const f = 10 ** p.decimals;
  return Math.round(v * f) / f;
}

/** Decode a register point (input/holding) starting at `words[at]`. */
export function decodeRegisters(p: CodecPoint, words: ArrayLike<number>, at = 0): Value {
  if (p.type === "bool") {
    const w = words[at];
    if (w === undefined) throw new LosError("LOS_E_CODEC", `point ${p.name}: register data too short`);
    const word = p.byteOrder === "little" ? ((w & 0xff) << 8) | ((w >> 8) & 0xff) : w & 0xffff;
    return p.bit === undefined ? word !== 0 : ((word >> p.bit) & 1) === 1;
  }
  return scaleRaw(p, decodeRaw(p, words, at));
}

/** Decode a bit point (coil/discrete) from `bits[at]`. */
export function decodeBit(p: CodecPoint, bits: ArrayLike<boolean>, at = 0): boolean {
  const b = bits[at];
  if (b === undefined) throw new LosError("LOS_E_CODEC", `point ${p.name}: bit data too short`);
  return b;
}

/** Decode a point from the data of a block that starts at `blockAddress`. */
export function decodeFromBlock(p: CodecPoint, data: ArrayLike<number> | ArrayLike<boolean>, blockAddress: number): Value {
  const at = p.address - blockAddress;
  return isBitKind(p.register) ? decodeBit(p, data as ArrayLike<boolean>, at) : decodeRegisters(p, data as ArrayLike<number>, at);
}

function codecError(p: CodecPoint, message: string, value: unknown): LosError {
  return new LosError("LOS_E_CODEC", `point ${p.name}: ${message}`, { details: { point: p.name, value } });
}

/** Accept booleans, and 0/1 as a convenience. */
export function toBool(p: CodecPoint, value: Value): boolean {
  if (typeof value === "boolean") return value;
  if (value === 0 || value === 1) return value === 1;
  throw codecError(p, `expected a boolean, got ${JSON.stringify(value)}`, value);
}

/** The raw number that represents an engineering value (inverse scaling, rounding, range check). */
export function toRaw(p: CodecPoint, value: Value): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw codecError(p, `expected a finite number, got ${JSON.stringify(value)}`, value);
  }
  const unscaled = p.scale === 1 && p.offset === 0 ? value : (value - p.offset) / p.scale;
  if (p.type === "float64") return unscaled;
  if (p.type === "float32") {
    if (Math.abs(unscaled) > FLOAT32_MAX) throw codecError(p, `${value} does not fit in a float32`, value);
    return unscaled;
  }
  if (p.type === "bool") throw codecError(p, "a bool point takes a boolean", value);
  const raw = Math.round(unscaled);
  const [min, max] = RAW_RANGE[p.type];
  if (raw < min || raw > max) {
    throw codecError(p, `${value} gives raw ${raw}, outside ${p.type} range ${min}..${max}`, value);
  }
  return raw;
}

/** Encode a number into the registers of a numeric register point. */
export function encodeRegisters(p: CodecPoint, value: Value): number[] {
  const raw = toRaw(p, value);
  switch (p.type) {
    case "int16":
      scratch.setInt16(0, raw);
      break;
    case "uint16":
      scratch.setUint16(0, raw);
      break;
    case "int32":
      scratch.setInt32(0, raw);
      break;
    case "uint32":
      scratch.setUint32(0, raw);
      break;
    case "float32":
      scratch.setFloat32(0, raw);
      break;
    case "float64":
      scratch.setFloat64(0, raw);
      break;
    case "bool":
      throw codecError(p, "a bool point takes a boolean", value);
  }
  return storeWords(p, p.count);
}

/**
 * Encode a bool register point: with a bit field, set/clear that bit of `current` (the register as
 * read from the device, read-modify-write); without one, 1 or 0.
 */
export function encodeBoolRegister(p: CodecPoint, value: Value, current = 0): number {
  const on = toBool(p, value);
  if (p.bit === undefined) {
    const word = on ? 1 : 0;
    return p.byteOrder === "little" ? word << 8 : word;
  }
  const bit = p.byteOrder === "little" ? (p.bit + 8) % 16 : p.bit;
  const mask = 1 << bit;
  return on ? (current | mask) & 0xffff : current & ~mask & 0xffff;
}
