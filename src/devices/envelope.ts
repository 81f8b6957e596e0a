/**
 * The safety envelope of a writable point: type, range, rate of change and interlocks on other
 * points. Pure: given the point, the request and what the gateway knows now, it accepts or refuses
 * with a coded reason. Missing or bad information refuses (fail safe).
 */
import { compareNumbers } from "../core/condition.js";
import type { ErrorCode } from "../core/errors.js";
import type { Reading, Value } from "../core/types.js";
import { valueKind } from "../config/point-kind.js";
import type { PointDef } from "../config/profile-schema.js";

export type EnvelopeVerdict = { ok: true } | { ok: false; code: ErrorCode; message: string };

export interface EnvelopeRequest {
  deviceId: string;
  point: PointDef;
  value: Value;
  now: number;
  /** the last accepted write of this point, the base of the rate limit */
  lastWrite?: { value: Value; ts: number };
  /** current readings, for interlocks and as the rate base when nothing was written yet */
  read(pointId: string): Reading | undefined;
  /** safe-value writes skip rate and interlocks: they are what the system falls back to */
  safety?: boolean;
}

const refuse = (code: ErrorCode, message: string): EnvelopeVerdict => ({ ok: false, code, message });


const asNumber = (v: Value | null): number | undefined =>
  typeof v === "boolean" ? Number(v) : typeof v === "number" ? v : undefined;

function checkType(req: EnvelopeRequest): EnvelopeVerdict {
  const kind = valueKind(req.point);
  if (kind === "bool") {
    return typeof req.value === "boolean" ? { ok: true } : refuse("LOS_E_WRITE_TYPE", `${req.point.name} takes true or false, got ${JSON.stringify(req.value)}`);
  }
  if (kind === "string") {
    return typeof req.value === "string" ? { ok: true } : refuse("LOS_E_WRITE_TYPE", `${req.point.name} takes a string, got ${JSON.stringify(req.value)}`);
  }
  if (typeof req.value !== "number" || !Number.isFinite(req.value)) {
    return refuse("LOS_E_WRITE_TYPE", `${req.point.name} takes a finite number, got ${JSON.stringify(req.value)}`);
  }
  return { ok: true };
}

function checkRange(req: EnvelopeRequest): EnvelopeVerdict {
  const env = req.point.envelope;
  if (typeof req.value !== "number" || !env) return { ok: true };
  if (env.min !== undefined && req.value < env.min) return refuse("LOS_E_WRITE_OUT_OF_RANGE", `${req.value} is below min ${env.min} of ${req.point.name}`);
  if (env.max !== undefined && req.value > env.max) return refuse("LOS_E_WRITE_OUT_OF_RANGE", `${req.value} is above max ${env.max} of ${req.point.name}`);
  return { ok: true };
}

function checkRate(req: EnvelopeRequest): EnvelopeVerdict {
  const rate = req.point.envelope?.maxRatePerSec;
  if (rate === undefined || typeof req.value !== "number") return { ok: true };
  const current = req.read(`${req.deviceId}/${req.point.name}`);
  const base = req.lastWrite ?? (current && current.quality === "good" ? { value: current.value as Value, ts: current.ts } : undefined);
  const from = base ? asNumber(base.value) : undefined;
  if (base === undefined || from === undefined) {
    return refuse("LOS_E_WRITE_RATE", `${req.point.name} has no known current value to limit the rate of change from`);
  }
  const seconds = Math.max(0, req.now - base.ts) / 1000;
  const allowed = rate * seconds;
  const change = Math.abs(req.value - from);
  if (change > allowed + 1e-9) {
    return refuse("LOS_E_WRITE_RATE", `${req.point.name}: change ${change} in ${seconds.toFixed(2)} s exceeds ${rate}/s (at most ${allowed.toFixed(3)} now)`);
  }
  return { ok: true };
}

function checkInterlocks(req: EnvelopeRequest): EnvelopeVerdict {
  const locks = req.point.envelope?.interlocks ?? [];
  const active = req.value !== false && req.value !== 0;
  for (const lock of locks) {
    if (lock.when === "nonzero" && !active) continue;
    const id = lock.point.includes("/") ? lock.point : `${req.deviceId}/${lock.point}`;
    const reading = req.read(id);
    const actual = reading && reading.quality === "good" ? asNumber(reading.value) : undefined;
    const expected = asNumber(lock.value)!;
    const what = lock.message ?? `${id} ${lock.op} ${JSON.stringify(lock.value)}`;
    if (actual === undefined) return refuse("LOS_E_WRITE_INTERLOCK", `interlock "${what}": ${id} has no good reading`);
    if (!compareNumbers(actual, lock.op, expected)) return refuse("LOS_E_WRITE_INTERLOCK", `interlock "${what}" holds ${id} = ${JSON.stringify(reading!.value)}`);
  }
  return { ok: true };
}

export function checkEnvelope(req: EnvelopeRequest): EnvelopeVerdict {
  if (!req.point.writable) return refuse("LOS_E_WRITE_READ_ONLY", `${req.deviceId}/${req.point.name} is read-only`);
  for (const check of req.safety ? [checkType, checkRange] : [checkType, checkRange, checkRate, checkInterlocks]) {
    const verdict = check(req);
    if (!verdict.ok) return verdict;
  }
  return { ok: true };
}
