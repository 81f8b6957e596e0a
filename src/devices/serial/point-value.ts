/**
 * A point's value from what the device sent: text (a CSV column, a regex capture, an NMEA field, a
 * JSON value) or a binary field, converted to the point's type and scaled (`raw * scale + offset`).
 * Failures are coded: LOS_E_DEVICE_BAD_FRAME when the text is not what the type needs. Pure.
 */
import { LosError } from "../../core/errors.js";
import type { Value } from "../../core/types.js";

export type TextType = "number" | "bool" | "string";
export type BinaryType = "int8" | "uint8" | "int16" | "uint16" | "int32" | "uint32" | "float32";

export interface Scaling {
  scale: number;
  offset: number;
}

const TRUE = new Set(["1", "true", "on", "yes", "y", "t"]);
const FALSE = new Set(["0", "false", "off", "no", "n", "f"]);

export const BINARY_SIZE: Record<BinaryType, number> = { int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4 };

export function scaled(raw: number, s: Scaling): number {
  return s.scale === 1 && s.offset === 0 ? raw : raw * s.scale + s.offset;
}

/** The raw number to send for an engineering value (inverse of `scaled`). */
export function unscaled(value: number, s: Scaling): number {
  return s.scale === 1 && s.offset === 0 ? value : (value - s.offset) / s.scale;
}

/** Convert a JSON or text value; `name` only for the error message. */
export function convertValue(raw: unknown, type: TextType, s: Scaling, name: string): Value {
  if (type === "string") return typeof raw === "string" ? raw : JSON.stringify(raw);
  if (type === "bool") {
    if (typeof raw === "boolean") return raw;
    if (typeof raw === "number") return raw !== 0;
    const t = String(raw).trim().toLowerCase();
    if (TRUE.has(t)) return true;
    if (FALSE.has(t)) return false;
    throw badValue(name, raw, "a boolean");
  }
  const n = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw.trim()) : NaN;
  if (!Number.isFinite(n)) throw badValue(name, raw, "a number");
  return scaled(n, s);
}

/** Read a binary field at `offset` of `payload`; LOS_E_DEVICE_BAD_FRAME when the payload is too short. */
export function readBinary(payload: Buffer, offset: number, type: BinaryType, little: boolean, s: Scaling, name: string): number {
  if (offset + BINARY_SIZE[type] > payload.length) {
    throw new LosError("LOS_E_DEVICE_BAD_FRAME", `${name}: the ${payload.length}-byte payload has no ${type} at byte ${offset}`);
  }
  let raw: number;
  switch (type) {
    case "int8":
      raw = payload.readInt8(offset);
      break;
    case "uint8":
      raw = payload.readUInt8(offset);
      break;
    case "int16":
      raw = little ? payload.readInt16LE(offset) : payload.readInt16BE(offset);
      break;
    case "uint16":
      raw = little ? payload.readUInt16LE(offset) : payload.readUInt16BE(offset);
      break;
    case "int32":
      raw = little ? payload.readInt32LE(offset) : payload.readInt32BE(offset);
      break;
    case "uint32":
      raw = little ? payload.readUInt32LE(offset) : payload.readUInt32BE(offset);
      break;
    case "float32":
      raw = little ? payload.readFloatLE(offset) : payload.readFloatBE(offset);
      break;
  }
  return scaled(raw, s);
}

function badValue(name: string, raw: unknown, wanted: string): LosError {
  const shown = JSON.stringify(raw);
  return new LosError("LOS_E_DEVICE_BAD_FRAME", `${name}: ${shown === undefined ? "nothing" : shown.slice(0, 40)} is not ${wanted}`);
}
