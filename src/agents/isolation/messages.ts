/**
 * The messages between the gateway and an agent isolated in a worker thread or a child process
 * (structured-clone or JSON over the IPC channel). The gateway trusts nothing that comes back:
 * `parseFromAgent` checks every field and turns anything else into LOS_E_AGENT_PROTOCOL.
 */
import type { Envelope } from "../../core/errors.js";
import type { AgentQuestion, CoordinationRequest } from "../../core/task-types.js";
import type { Reading, Value } from "../../core/types.js";
import type { AgentConfig } from "../../config/agent-schema.js";
import type { AgentUsage, LogLevel } from "../hosts/agent-host.js";
import { bad, id, jsonLength, MAX_AGENT_STRING, str } from "./message-checks.js";
import { parseAnswerEnvelope, parseCoordination, parseSkills, type AnswerMessage } from "./task-messages.js";

export { MAX_AGENT_STRING };

/** gateway → agent */
export type ToAgent =
  | { t: "init"; manifest: AgentConfig; configDir: string; heartbeatMs: number }
  | { t: "readings"; readings: Reading[] }
  | { t: "reply"; id: number; envelope: Envelope<unknown> }
  /** a task question; the agent answers with `answer` and the same id */
  | { t: "ask"; id: number; question: AgentQuestion }
  | { t: "stop" };

/** agent → gateway */
export type FromAgent =
  /** a worker's first message, sent before any agent code runs: its thread's kernel id (Linux) */
  | { t: "thread"; tid: number }
  /** `skills`: the agent's skills and task types */
  | { t: "ready"; skills?: string[] }
  /** `skills`: sent when they changed since the last report */
  | { t: "heartbeat"; usage: Partial<AgentUsage>; skills?: string[] }
  /** `key`: the idempotency key of a task run's write */
  | { t: "actuate"; id: number; point: string; value: Value; reason: string; key?: string }
  | AnswerMessage
  /** a coordination request; answered by `reply` with the CoordinationReply as data */
  | { t: "coordinate"; id: number; request: CoordinationRequest }
  | { t: "publish"; id: number; subtopic: string; payload: unknown }
  | { t: "log"; level: LogLevel; msg: string; obj?: Record<string, unknown> }
  /** the agent gave up (too many failed decisions, or it could not be built) */
  | { t: "failed"; code: string; message: string }
  | { t: "stopped" };

const LEVELS = new Set(["debug", "info", "warn", "error"]);
const USAGE_KEYS = ["cpuMs", "heapBytes", "decisions", "failures"] as const;

/** longest log fields accepted, as JSON (a structured clone may carry cycles or megabytes) */
export const MAX_LOG_FIELDS = 4 * MAX_AGENT_STRING;


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
      return m.skills === undefined ? { t: "ready" } : { t: "ready", skills: parseSkills(m.skills) };
    case "stopped":
      return { t: m.t };
    case "thread":
      if (!Number.isSafeInteger(m.tid) || (m.tid as number) <= 0) throw bad("tid must be a positive integer");
      return { t: "thread", tid: m.tid as number };
    case "heartbeat":
      return m.skills === undefined ? { t: "heartbeat", usage: usage(m.usage) } : { t: "heartbeat", usage: usage(m.usage), skills: parseSkills(m.skills) };
    case "actuate": {
      const v = m.value;
      if (!(typeof v === "number" || typeof v === "boolean" || (typeof v === "string" && v.length <= MAX_AGENT_STRING))) {
        throw bad("value must be a number, boolean or string");
      }
      const out: FromAgent = { t: "actuate", id: id(m.id), point: str(m.point, "point"), value: v, reason: str(m.reason, "reason") };
      if (m.key !== undefined) out.key = str(m.key, "key");
      return out;
    }
    case "answer":
      return parseAnswerEnvelope(m);
    case "coordinate":
      return { t: "coordinate", id: id(m.id), request: parseCoordination(m.request) };
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
