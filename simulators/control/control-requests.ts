/**
 * Checks of the control API's request bodies: JSON in, typed values out, or a LOS_E_REQUEST_INVALID
 * error whose message says what was expected. No I/O.
 */
import { LosError } from "../../src/core/errors.js";
import { FAULT_MODES, type FaultMode, type FaultSpec } from "../modbus/faults.js";
import { REGISTER_KINDS, type RegisterKind } from "../modbus/register-bank.js";

/** The largest step one request may ask for (one simulated day). */
export const MAX_STEP_MS = 86_400_000;
/** The most values one register write may carry. */
export const MAX_WRITE_VALUES = 2000;

export function invalid(message: string): LosError {
  return new LosError("LOS_E_REQUEST_INVALID", message);
}

export function parseJsonBody(text: string): unknown {
  if (text.trim() === "") throw invalid("the request needs a JSON body");
  try {
    return JSON.parse(text);
  } catch {
    throw invalid("the request body is not JSON");
  }
}

function object(body: unknown, what: string, allowed: readonly string[]): Record<string, unknown> {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw invalid(`${what}: expected a JSON object`);
  const extra = Object.keys(body).filter((k) => !allowed.includes(k));
  if (extra.length > 0) throw invalid(`${what}: unknown key ${extra.map((k) => `"${k}"`).join(", ")}; allowed: ${allowed.join(", ")}`);
  return body as Record<string, unknown>;
}

function integer(value: unknown, name: string, lo: number, hi: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < lo || value > hi) {
    throw invalid(`${name} must be an integer ${lo}..${hi}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function number(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw invalid(`${name} must be a number, got ${JSON.stringify(value)}`);
  return value;
}

const FAULT_KEYS = ["mode", "unitId", "functionCodes", "count", "exceptionCode", "delayMs", "garbageLength", "replace"] as const;

/**
 * A fault rule as POST /faults takes it: a FaultSpec plus `replace` (true: the rule replaces the
 * rules of its unit, or all rules when it has no unitId). Ranges are checked again by the injector.
 */
export function parseFaultRequest(body: unknown, unitIds: readonly number[]): { spec: FaultSpec; replace: boolean } {
  const o = object(body, "fault", FAULT_KEYS);
  if (typeof o.mode !== "string" || !FAULT_MODES.includes(o.mode as FaultMode)) {
    throw invalid(`unknown fault mode ${JSON.stringify(o.mode)}; use one of ${FAULT_MODES.join(", ")}`);
  }
  const spec: FaultSpec = { mode: o.mode as FaultMode };
  if (o.unitId !== undefined) {
    spec.unitId = integer(o.unitId, "unitId", 0, 255);
    if (!unitIds.includes(spec.unitId)) throw invalid(`unitId ${spec.unitId}: the simulator serves unit ids [${unitIds.join(", ")}]`);
  }
  if (o.functionCodes !== undefined) {
    if (!Array.isArray(o.functionCodes) || o.functionCodes.length === 0) throw invalid("functionCodes must be a non-empty array of function codes");
    spec.functionCodes = o.functionCodes.map((fc, i) => integer(fc, `functionCodes[${i}]`, 1, 127));
  }
  if (o.count !== undefined) spec.count = integer(o.count, "count", 1, Number.MAX_SAFE_INTEGER);
  if (o.exceptionCode !== undefined) spec.exceptionCode = integer(o.exceptionCode, "exceptionCode", 1, 255);
  if (o.delayMs !== undefined) {
    spec.delayMs = number(o.delayMs, "delayMs");
    if (spec.delayMs < 0) throw invalid(`delayMs must be >= 0, got ${spec.delayMs}`);
  }
  if (o.garbageLength !== undefined) spec.garbageLength = integer(o.garbageLength, "garbageLength", 1, 260);
  if (o.replace !== undefined && typeof o.replace !== "boolean") throw invalid("replace must be true or false");
  return { spec, replace: o.replace === true };
}

export function parseStepRequest(body: unknown): number {
  const o = object(body, "step", ["ms"]);
  const ms = number(o.ms, "ms");
  if (ms <= 0 || ms > MAX_STEP_MS) throw invalid(`ms must be > 0 and at most ${MAX_STEP_MS} (one simulated day), got ${ms}`);
  return ms;
}

export interface RegisterWrite {
  kind: RegisterKind;
  address: number;
  /** Raw words 0..65535, or 0/1 for bits. */
  values: number[];
}

/** `{kind, address, values}`: words as raw integers 0..65535, bits as true/false (or 1/0). */
export function parseRegisterWrite(body: unknown): RegisterWrite {
  const o = object(body, "register write", ["kind", "address", "values"]);
  if (typeof o.kind !== "string" || !REGISTER_KINDS.includes(o.kind as RegisterKind)) {
    throw invalid(`kind must be one of ${REGISTER_KINDS.join(", ")}, got ${JSON.stringify(o.kind)}`);
  }
  const kind = o.kind as RegisterKind;
  const address = integer(o.address, "address", 0, 65535);
  if (!Array.isArray(o.values) || o.values.length === 0 || o.values.length > MAX_WRITE_VALUES) {
    throw invalid(`values must be an array of 1..${MAX_WRITE_VALUES} ${kind === "coil" || kind === "discrete" ? "booleans" : "raw register words"}`);
  }
  const bits = kind === "coil" || kind === "discrete";
  const values = o.values.map((v: unknown, i) => {
    if (bits) {
      if (typeof v === "boolean") return v ? 1 : 0;
      if (v === 0 || v === 1) return v;
      throw invalid(`values[${i}] must be true or false for ${kind}, got ${JSON.stringify(v)}`);
    }
    return integer(v, `values[${i}]`, 0, 65535);
  });
  if (address + values.length > 65536) throw invalid(`${values.length} values from address ${address} leave the 0..65535 address space`);
  return { kind, address, values };
}

/** `?kind=&address=&count=` of GET /units/<id>/registers. */
export function parseRegisterRead(query: URLSearchParams): { kind: RegisterKind; address: number; count: number } {
  const kind = query.get("kind") ?? "";
  if (!REGISTER_KINDS.includes(kind as RegisterKind)) throw invalid(`?kind= must be one of ${REGISTER_KINDS.join(", ")}`);
  const num = (name: string, fallback: string) => {
    const text = query.get(name) ?? fallback;
    return /^\d+$/.test(text) ? Number(text) : NaN;
  };
  const address = integer(num("address", ""), "?address=", 0, 65535);
  const count = integer(num("count", "1"), "?count=", 1, MAX_WRITE_VALUES);
  if (address + count > 65536) throw invalid(`${count} values from address ${address} leave the 0..65535 address space`);
  return { kind: kind as RegisterKind, address, count };
}
