/**
 * Parsing what an external agent publishes (docs/agent-protocol.md). Nothing from the network is
 * trusted: every field is checked, and anything else becomes LOS_E_AGENT_PROTOCOL carrying the
 * message's correlationId when it had a usable one, so the gateway can answer it.
 */
import { ERROR_CODES, LosError, type ErrorCode } from "../../core/errors.js";
import type {
  AgentActuateRequest,
  AgentAwardReplyPayload,
  AgentCoordinateRequest,
  AgentEndPayload,
  AgentHeartbeatPayload,
  AgentLogPayload,
  AgentRegisterPayload,
  AgentRequestKind,
} from "../../core/topics.js";
import type { Value } from "../../core/types.js";
import { answerKey, Fields, parseAwardReply, parseBid, parseCoordinate, parseTaskReport, type ParsedBid, type ParsedTaskReport } from "./task-protocol.js";

/** longest string field accepted from an agent (points, reasons, log lines, ids) */
export const MAX_FIELD = 4096;
const MAX_CORRELATION_ID = 128;
const LEVELS = new Set(["debug", "info", "warn", "error"]);
const USAGE_KEYS = ["cpuMs", "heapBytes", "decisions", "failures"] as const;
/** skills an agent may declare (`register`, `heartbeat`): the same names the worker and process channel takes */
export const MAX_SKILLS = 256;
const SKILL = /^[A-Za-z0-9._-]{1,64}$/;

function skillsOf(v: unknown, bad: (why: string) => AgentProtocolError): string[] {
  if (!Array.isArray(v) || v.length > MAX_SKILLS || !v.every((x) => typeof x === "string" && SKILL.test(x))) {
    throw bad(`skills must be a list of at most ${MAX_SKILLS} names of 1-64 letters, digits, ".", "_" or "-"`);
  }
  return [...new Set(v as string[])];
}

export type AgentRequest =
  | { kind: "register"; body: AgentRegisterPayload }
  | { kind: "heartbeat"; body: AgentHeartbeatPayload }
  | { kind: "actuate"; body: AgentActuateRequest }
  | { kind: "log"; body: AgentLogPayload }
  | { kind: "failed" | "stopped" | "gone"; body: AgentEndPayload }
  | { kind: "bid"; body: ParsedBid }
  | { kind: "award-reply"; body: AgentAwardReplyPayload }
  | { kind: "task"; body: ParsedTaskReport }
  | { kind: "coordinate"; body: AgentCoordinateRequest };

/** A malformed message; `correlationId` is set when the sender can be answered. */
export class AgentProtocolError extends LosError {
  readonly correlationId: string | undefined;
  /** a malformed answer that still names its question (answerKey of task-protocol.ts) */
  readonly answerKey: string | undefined;
  constructor(why: string, correlationId: string | undefined, answerKey?: string) {
    super("LOS_E_AGENT_PROTOCOL", `malformed agent message: ${why}`);
    this.correlationId = correlationId;
    this.answerKey = answerKey;
  }
}

/** The question a malformed answer names, when its taskId and round/attempt are readable. */
function keyOf(kind: AgentRequestKind, m: Record<string, unknown>): string | undefined {
  const question = kind === "bid" ? "cfp" : kind === "award-reply" ? "award" : kind === "task" ? "run" : undefined;
  const n = kind === "bid" ? m.round : m.attempt;
  if (question === undefined || typeof m.taskId !== "string" || !Number.isSafeInteger(n)) return undefined;
  return answerKey(question, m.taskId, n as number);
}

function correlationOf(m: Record<string, unknown>): string | undefined {
  const c = m.correlationId;
  return typeof c === "string" && c.length > 0 && c.length <= MAX_CORRELATION_ID ? c : undefined;
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(ERROR_CODES, code);
}

/** Parse the payload of `agents/<id>/<kind>`; throws AgentProtocolError. */
export function parseAgentRequest(kind: AgentRequestKind, payload: Buffer): AgentRequest {
  let raw: unknown;
  try {
    raw = JSON.parse(payload.toString("utf8"));
  } catch {
    throw new AgentProtocolError(`${kind}: payload is not JSON`, undefined);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new AgentProtocolError(`${kind}: payload must be a JSON object`, undefined);
  const m = raw as Record<string, unknown>;
  const cid = correlationOf(m);
  const bad = (why: string) => new AgentProtocolError(`${kind}: ${why}`, cid);
  const str = (field: string, optional = false): string | undefined => {
    const v = m[field];
    if (v === undefined && optional) return undefined;
    if (typeof v !== "string" || v.length === 0 || v.length > MAX_FIELD) throw bad(`${field} must be a non-empty string of at most ${MAX_FIELD} characters`);
    return v;
  };
  switch (kind) {
    case "register": {
      if (!Number.isSafeInteger(m.protocol) || (m.protocol as number) < 1) throw bad("protocol must be a positive integer (this gateway speaks 1)");
      const body: AgentRegisterPayload = { protocol: m.protocol as number, language: str("language") as string };
      const version = str("version", true);
      if (version !== undefined) body.version = version;
      if (m.pid !== undefined) {
        if (!Number.isSafeInteger(m.pid) || (m.pid as number) < 0) throw bad("pid must be a non-negative integer");
        body.pid = m.pid as number;
      }
      if (cid !== undefined) body.correlationId = cid;
      if (m.skills !== undefined) body.skills = skillsOf(m.skills, bad);
      return { kind, body };
    }
    case "heartbeat": {
      const skills = m.skills === undefined ? undefined : skillsOf(m.skills, bad);
      if (m.usage === undefined) return { kind, body: skills ? { skills } : {} };
      if (typeof m.usage !== "object" || m.usage === null) throw bad("usage must be an object");
      const usage: NonNullable<AgentHeartbeatPayload["usage"]> = {};
      for (const k of USAGE_KEYS) {
        const n = (m.usage as Record<string, unknown>)[k];
        if (n === undefined) continue;
        if (typeof n !== "number" || !Number.isFinite(n) || n < 0) throw bad(`usage.${k} must be a finite number >= 0`);
        usage[k] = n;
      }
      return { kind, body: skills ? { usage, skills } : { usage } };
    }
    case "actuate": {
      if (cid === undefined) throw bad(`correlationId must be a non-empty string of at most ${MAX_CORRELATION_ID} characters`);
      const v = m.value;
      if (!((typeof v === "number" && Number.isFinite(v)) || typeof v === "boolean" || (typeof v === "string" && v.length <= MAX_FIELD))) {
        throw bad("value must be a finite number, a boolean or a string");
      }
      const body: AgentActuateRequest = { correlationId: cid, point: str("point") as string, value: v as Value, reason: str("reason") as string };
      const key = str("idempotencyKey", true);
      if (key !== undefined) body.idempotencyKey = key;
      return { kind, body };
    }
    case "log": {
      if (typeof m.level !== "string" || !LEVELS.has(m.level)) throw bad("level must be debug, info, warn or error");
      const body: AgentLogPayload = { level: m.level as AgentLogPayload["level"], msg: str("msg") as string };
      if (m.obj !== undefined) {
        if (typeof m.obj !== "object" || m.obj === null || Array.isArray(m.obj)) throw bad("obj must be an object");
        body.obj = m.obj as Record<string, unknown>;
      }
      return { kind, body };
    }
    case "failed":
    case "stopped":
    case "gone": {
      const body: AgentEndPayload = {};
      const code = str("code", true);
      const message = str("message", true);
      if (code !== undefined) body.code = code;
      if (message !== undefined) body.message = message;
      return { kind, body };
    }
    case "bid":
    case "award-reply":
    case "task": {
      const key = keyOf(kind, m);
      const f = new Fields(m, (why) => new AgentProtocolError(`${kind}: ${why}`, cid, key));
      if (kind === "bid") return { kind, body: parseBid(f) };
      if (kind === "award-reply") return { kind, body: parseAwardReply(f) };
      return { kind, body: parseTaskReport(f) };
    }
    case "coordinate":
      if (cid === undefined) throw bad(`correlationId must be a non-empty string of at most ${MAX_CORRELATION_ID} characters`);
      return { kind, body: parseCoordinate(new Fields(m, bad), cid) };
  }
}
