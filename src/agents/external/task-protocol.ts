/**
 * Parsing the task and coordination messages of the agent protocol (docs/agent-protocol.md): `bid`,
 * `award-reply`, `task` and `coordinate`. Like the rest of the protocol, nothing from the network is
 * trusted: each field is checked and the object rebuilt from the known fields only, so extra fields
 * (an agent's own `ts`, say) are dropped rather than passed on.
 */
import type { BidOffer, CoordinationRequest, FactScope, TaskAwardReply, TaskError, TaskOutcome } from "../../core/task-types.js";
import type { AgentAwardReplyPayload, AgentCoordinateRequest } from "../../core/topics.js";

/** longest JSON of a task result accepted from an agent */
export const MAX_RESULT_JSON = 64 * 1024;
const MAX_ID = 256;
const SCOPES: ReadonlySet<string> = new Set<FactScope>(["agent", "tenant", "site"]);
const PHASES: ReadonlySet<string> = new Set(["running", "done", "failed"]);

/** A bid as parsed: `offer` undefined means the agent declined. */
export interface ParsedBid {
  taskId: string;
  round: number;
  offer: BidOffer | undefined;
}

export interface ParsedTaskReport {
  taskId: string;
  attempt: number;
  outcome: TaskOutcome;
}

/** Which pending question an answer belongs to: `<question>/<taskId>/<round or attempt>`. */
export function answerKey(question: "cfp" | "award" | "run", taskId: string, n: number): string {
  return `${question}/${taskId}/${n}`;
}

/** The question an answer names and the value it settles it with. */
export function answerOf(
  req: { kind: "bid"; body: ParsedBid } | { kind: "award-reply"; body: AgentAwardReplyPayload } | { kind: "task"; body: ParsedTaskReport },
): { key: string; value: BidOffer | TaskAwardReply | TaskOutcome | undefined } {
  switch (req.kind) {
    case "bid":
      return { key: answerKey("cfp", req.body.taskId, req.body.round), value: req.body.offer };
    case "award-reply": {
      const { taskId, attempt, ...reply } = req.body;
      return { key: answerKey("award", taskId, attempt), value: reply };
    }
    case "task":
      return { key: answerKey("run", req.body.taskId, req.body.attempt), value: req.body.outcome };
  }
}

/** Field readers over one message; `bad(why)` builds the error to throw. */
export class Fields {
  readonly m: Record<string, unknown>;
  readonly #bad: (why: string) => Error;
  readonly #prefix: string;

  constructor(m: Record<string, unknown>, bad: (why: string) => Error, prefix = "") {
    this.m = m;
    this.#bad = bad;
    this.#prefix = prefix;
  }

  bad(why: string): Error {
    return this.#bad(`${this.#prefix}${why}`);
  }

  str(field: string, max = 4096): string {
    const v = this.m[field];
    if (typeof v !== "string" || v.length === 0 || v.length > max) throw this.bad(`${field} must be a non-empty string of at most ${max} characters`);
    return v;
  }

  optStr(field: string, max = 4096): string | undefined {
    return this.m[field] === undefined ? undefined : this.str(field, max);
  }

  /** a non-negative safe integer (rounds, attempts) */
  count(field: string): number {
    const v = this.m[field];
    if (!Number.isSafeInteger(v) || (v as number) < 0) throw this.bad(`${field} must be a non-negative integer`);
    return v as number;
  }

  num(field: string, min = -Infinity): number {
    const v = this.m[field];
    if (typeof v !== "number" || !Number.isFinite(v) || v < min) throw this.bad(`${field} must be a finite number${min > -Infinity ? ` >= ${min}` : ""}`);
    return v;
  }

  optNum(field: string, min = -Infinity): number | undefined {
    return this.m[field] === undefined ? undefined : this.num(field, min);
  }

  bool(field: string): boolean {
    const v = this.m[field];
    if (typeof v !== "boolean") throw this.bad(`${field} must be true or false`);
    return v;
  }

  object(field: string): Record<string, unknown> {
    const v = this.m[field];
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw this.bad(`${field} must be an object`);
    return v as Record<string, unknown>;
  }

  /** any JSON value (present; null allowed) */
  json(field: string, maxJson: number): unknown {
    const v = this.m[field];
    if (v === undefined) throw this.bad(`${field} is required`);
    if (JSON.stringify(v).length > maxJson) throw this.bad(`${field} must be JSON of at most ${maxJson} characters`);
    return v;
  }
}

export function parseBid(f: Fields): ParsedBid {
  const taskId = f.str("taskId", MAX_ID);
  const round = f.count("round");
  if (f.m.decline !== undefined && f.m.decline !== false) {
    if (f.m.decline !== true) throw f.bad("decline must be true or absent");
    return { taskId, round, offer: undefined };
  }
  const offer: BidOffer = { value: f.num("value") };
  const quantity = f.optNum("quantity", 0);
  if (quantity !== undefined) offer.quantity = quantity;
  const note = f.optStr("note");
  if (note !== undefined) offer.note = note;
  return { taskId, round, offer };
}

export function parseAwardReply(f: Fields): AgentAwardReplyPayload {
  const body: AgentAwardReplyPayload = { taskId: f.str("taskId", MAX_ID), attempt: f.count("attempt"), accept: f.bool("accept") };
  const reason = f.optStr("reason");
  if (reason !== undefined) body.reason = reason;
  return body;
}

function taskError(f: Fields): TaskError {
  const e = new Fields(f.object("error"), (why) => f.bad(why), "error.");
  return { code: e.str("code", 128), message: e.str("message") };
}

export function parseTaskReport(f: Fields): ParsedTaskReport {
  const taskId = f.str("taskId", MAX_ID);
  const attempt = f.count("attempt");
  if (f.bool("ok")) {
    const outcome: TaskOutcome = { ok: true };
    if (f.m.result !== undefined) outcome.result = f.json("result", MAX_RESULT_JSON);
    return { taskId, attempt, outcome };
  }
  return { taskId, attempt, outcome: { ok: false, error: taskError(f) } };
}

/** `coordinate`: the correlation id is checked by the caller; here the request's shape per op. */
export function parseCoordinate(f: Fields, correlationId: string): AgentCoordinateRequest {
  const r = new Fields(f.object("request"), (why) => f.bad(why), "request.");
  return { correlationId, request: coordinationRequest(r) };
}

function coordinationRequest(r: Fields): CoordinationRequest {
  const scope = (): FactScope => {
    const s = r.m.scope;
    if (typeof s !== "string" || !SCOPES.has(s)) throw r.bad("scope must be agent, tenant or site");
    return s as FactScope;
  };
  const op = r.m.op;
  switch (op) {
    case "lease.acquire":
      return { op, point: r.str("point"), ttlMs: r.num("ttlMs", 1) };
    case "lease.reserve":
      return { op, point: r.str("point"), inMs: r.num("inMs", 0), forMs: r.num("forMs", 1) };
    case "lease.release":
      return { op, point: r.str("point") };
    case "intent":
      return { op, point: r.str("point"), value: r.json("value", MAX_RESULT_JSON), inMs: r.num("inMs", 0), reason: r.str("reason") };
    case "fact.put": {
      const req: CoordinationRequest = { op, key: r.str("key"), value: r.json("value", MAX_RESULT_JSON), scope: scope() };
      const ttlMs = r.optNum("ttlMs", 1);
      if (ttlMs !== undefined) req.ttlMs = ttlMs;
      return req;
    }
    case "fact.get":
    case "fact.delete":
      return { op, key: r.str("key"), scope: scope() };
    case "task.create":
      // the task layer checks the spec itself (and refuses unknown fields)
      return { op, spec: r.object("spec") as unknown as Extract<CoordinationRequest, { op: "task.create" }>["spec"] };
    case "task.progress": {
      const req: CoordinationRequest = { op, taskId: r.str("taskId", MAX_ID), attempt: r.count("attempt") };
      const note = r.optStr("note");
      if (note !== undefined) req.note = note;
      return req;
    }
    case "task.local": {
      const phase = r.m.phase;
      if (typeof phase !== "string" || !PHASES.has(phase)) throw r.bad("phase must be running, done or failed");
      const req: CoordinationRequest = { op, localId: r.str("localId", MAX_ID), name: r.str("name"), phase: phase as "running" | "done" | "failed" };
      if (r.m.error !== undefined) req.error = taskError(r);
      return req;
    }
    default:
      throw r.bad(`op must be one of lease.acquire, lease.reserve, lease.release, intent, fact.put, fact.get, fact.delete, task.create, task.progress, task.local`);
  }
}
