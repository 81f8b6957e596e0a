/** Field checks for messages from isolated agents: anything unexpected is LOS_E_AGENT_PROTOCOL. */
import { LosError } from "../../core/errors.js";

/** longest string field accepted from an agent (points, reasons, log lines) */
export const MAX_AGENT_STRING = 4096;

export function bad(why: string): LosError {
  return new LosError("LOS_E_AGENT_PROTOCOL", `malformed message from agent: ${why}`);
}

/** JSON length, or Infinity for what JSON cannot carry (cycles, BigInt) */
export function jsonLength(v: unknown): number {
  try {
    return JSON.stringify(v)?.length ?? 0;
  } catch {
    return Infinity;
  }
}

export function str(v: unknown, field: string): string {
  if (typeof v !== "string" || v.length > MAX_AGENT_STRING) throw bad(`${field} must be a string of at most ${MAX_AGENT_STRING} characters`);
  return v;
}

export function id(v: unknown): number {
  if (!Number.isSafeInteger(v) || (v as number) < 0) throw bad("id must be a non-negative integer");
  return v as number;
}

export function num(v: unknown, field: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw bad(`${field} must be a finite number`);
  return v;
}

export function plainObject(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw bad(`${field} must be an object`);
  return v as Record<string, unknown>;
}

/** a JSON value of at most `max` characters */
export function json(v: unknown, field: string, max: number): unknown {
  if (jsonLength(v) > max) throw bad(`${field} must be JSON of at most ${max} characters`);
  return v;
}
