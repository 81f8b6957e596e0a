/**
 * The messages between the gateway and an agent isolated in a worker thread or a child process
 * (structured-clone or JSON over the IPC channel). The gateway trusts nothing that comes back:
 * `parseFromAgent` checks every field and turns anything else into LOS_E_AGENT_PROTOCOL.
 */
import { LosError, type Envelope } from "../../core/errors.js";
import type { Reading, Value } from "../../core/types.js";
import type { AgentConfig } from "../../config/agent-schema.js";
import type { AgentUsage, LogLevel } from "../hosts/agent-host.js";

/** gateway → agent */
export type ToAgent =
  | { t: "init"; manifest: AgentConfig; configDir: string; heartbeatMs: number }
  | { t: "readings"; readings: Reading[] }
  | { t: "reply"; id: number; envelope: Envelope<unknown> }
  | { t: "stop" };

/** agent → gateway */
export type FromAgent =
  | { t: "ready" }
  | { t: "heartbeat"; usage: Partial<AgentUsage> }
  | { t: "actuate"; id: number; point: string; value: Value; reason: string }
  | { t: "publish"; id: number; subtopic: string; payload: unknown }
  | { t: "log"; level: LogLevel; msg: string; obj?: Record<string, unknown> }
  /** the agent gave up (too many failed decisions, or it could not be built) */
  | { t: "failed"; code: string; message: string }
  | { t: "stopped" };

const LEVELS = new Set(["debug", "info", "warn", "error"]);
const USAGE_KEYS = ["cpuMs", "heapBytes", "decisions", "failures"] as const;
/** longest string field accepted from an agent (points, reasons, log lines) */
export const MAX_AGENT_STRING = 4096;

/** longest log fields accepted, as JSON (a structured clone may carry cycles or megabytes) */
export const MAX_LOG_FIELDS = 4 * MAX_AGENT_STRING;

/** JSON length, or Infinity for what JSON cannot carry (cycles, BigInt) */
function jsonLength(v: unknown): number {
  try {
    return JSON.stringify(v)?.length ?? 0;
  } catch {
    return Infinity;
  }
}

function bad(why: string): LosError {
  return new LosError("LOS_E_AGENT_PROTOCOL", `malformed message from agent: ${why}`);
}

function str(v: unknown, field: string): string {
  if (typeof v !== "string" || v.length > MAX_AGENT_STRING) throw bad(`${field} must be a string of at most ${MAX_AGENT_STRING} characters`);
  return v;
}

function id(v: unknown): number {
  if (!Number.isSafeInteger(v) || (v as number) < 0) throw bad("id must be a non-negative integer");
  return v as number;
}

function usage(v: unknown): Partial<AgentUsage> {
  if (typeof v !== "object" || v === null) throw bad("usage must be an object");
  const out: Partial<AgentUsage> = {};
  for (const k of USAGE_KEYS) {
    const n = (v as Record<string, unknown>)[k];
    if (n === undefined) continue;
    if (typeof n !== "number" || !Number.isFinite(n) || n < 0) throw bad(`usage.${k} must be a finite number >= 0`);
    out[k] = n;
  }
  return out;
}

/** Check a message from an agent; throws LOS_E_AGENT_PROTOCOL for anything not in FromAgent. */
export function parseFromAgent(raw: unknown): FromAgent {
  if (typeof raw !== "object" || raw === null) throw bad("not an object");
  const m = raw as Record<string, unknown>;
  switch (m.t) {
    case "ready":
    case "stopped":
      return { t: m.t };
    case "heartbeat":
      return { t: "heartbeat", usage: usage(m.usage) };
    case "actuate": {
      const v = m.value;
      if (!(typeof v === "number" || typeof v === "boolean" || (typeof v === "string" && v.length <= MAX_AGENT_STRING))) {
        throw bad("value must be a number, boolean or string");
      }
      return { t: "actuate", id: id(m.id), point: str(m.point, "point"), value: v, reason: str(m.reason, "reason") };
    }
    case "publish":
      return { t: "publish", id: id(m.id), subtopic: str(m.subtopic, "subtopic"), payload: m.payload };
    case "log": {
      if (typeof m.level !== "string" || !LEVELS.has(m.level)) throw bad("log level must be debug, info, warn or error");
      const out: FromAgent = { t: "log", level: m.level as LogLevel, msg: str(m.msg, "msg") };
      if (m.obj !== undefined) {
        if (typeof m.obj !== "object" || m.obj === null || Array.isArray(m.obj)) throw bad("log obj must be an object");
        if (jsonLength(m.obj) > MAX_LOG_FIELDS) throw bad(`log obj must be JSON of at most ${MAX_LOG_FIELDS} characters`);
        out.obj = m.obj as Record<string, unknown>;
      }
      return out;
    }
    case "failed":
      return { t: "failed", code: str(m.code, "code"), message: str(m.message, "message") };
    default:
      throw bad(`unknown type ${JSON.stringify(String(m.t)).slice(0, 40)}`);
  }
}
