/**
 * Task messages from isolated agents, checked like every other message: skills, coordination
 * requests (shape only; the task layer checks scopes, holders and values) and answers to task
 * questions, whose content is checked against the question they answer (`checkAnswer`).
 */
import type { AgentAnswer, AgentQuestion, CoordinationRequest, FactScope, TaskAwardReply, TaskOutcome, TaskSpec } from "../../core/task-types.js";
import { bad, id, json, MAX_AGENT_STRING, num, plainObject, str } from "./message-checks.js";

/** the largest value, task spec, bid or result an agent may send (facts have their own, smaller limit) */
export const MAX_TASK_JSON = 64 * 1024;
const MAX_SKILLS = 256;
const SKILL = /^[A-Za-z0-9._-]{1,64}$/;
const SCOPES = new Set<FactScope>(["agent", "tenant", "site"]);

/** agent → gateway: the answer to `ask` with the same id; `error` when the agent could not answer */
export type AnswerMessage = { t: "answer"; id: number; answer?: unknown; error?: { code: string; message: string } };

export function parseSkills(v: unknown): string[] {
  if (!Array.isArray(v) || v.length > MAX_SKILLS || !v.every((s) => typeof s === "string" && SKILL.test(s))) {
    throw bad(`skills must be at most ${MAX_SKILLS} names of 1-64 letters, digits, ".", "_" or "-"`);
  }
  return [...(v as string[])];
}

export function parseAnswerEnvelope(m: Record<string, unknown>): AnswerMessage {
  const out: AnswerMessage = { t: "answer", id: id(m.id) };
  if (m.error !== undefined) {
    const e = plainObject(m.error, "error");
    out.error = { code: str(e.code, "error.code"), message: str(e.message, "error.message") };
  } else if (m.answer !== undefined) {
    out.answer = json(m.answer, "answer", MAX_TASK_JSON);
  }
  return out;
}

function scope(v: unknown): FactScope {
  if (!SCOPES.has(v as FactScope)) throw bad("scope must be agent, tenant or site");
  return v as FactScope;
}

export function parseCoordination(raw: unknown): CoordinationRequest {
  const r = plainObject(raw, "request");
  switch (r.op) {
    case "lease.acquire":
      return { op: r.op, point: str(r.point, "point"), ttlMs: num(r.ttlMs, "ttlMs") };
    case "lease.reserve":
      return { op: r.op, point: str(r.point, "point"), inMs: num(r.inMs, "inMs"), forMs: num(r.forMs, "forMs") };
    case "lease.release":
      return { op: r.op, point: str(r.point, "point") };
    case "intent":
      return { op: r.op, point: str(r.point, "point"), value: json(r.value, "value", MAX_AGENT_STRING), inMs: num(r.inMs, "inMs"), reason: str(r.reason, "reason") };
    case "fact.put": {
      const out: CoordinationRequest = { op: r.op, key: str(r.key, "key"), value: json(r.value, "value", MAX_TASK_JSON), scope: scope(r.scope) };
      if (r.ttlMs !== undefined) out.ttlMs = num(r.ttlMs, "ttlMs");
      return out;
    }
    case "fact.get":
    case "fact.delete":
      return { op: r.op, key: str(r.key, "key"), scope: scope(r.scope) };
    case "task.create":
      return { op: r.op, spec: json(plainObject(r.spec, "spec"), "spec", MAX_TASK_JSON) as unknown as TaskSpec };
    case "task.progress": {
      const out: CoordinationRequest = { op: r.op, taskId: str(r.taskId, "taskId"), attempt: id(r.attempt) };
      if (r.note !== undefined) out.note = str(r.note, "note");
      return out;
    }
    case "task.local": {
      if (r.phase !== "running" && r.phase !== "done" && r.phase !== "failed") throw bad("phase must be running, done or failed");
      const out: CoordinationRequest = { op: r.op, localId: str(r.localId, "localId"), name: str(r.name, "name"), phase: r.phase };
      if (r.error !== undefined) {
        const e = plainObject(r.error, "error");
        out.error = { code: str(e.code, "error.code"), message: str(e.message, "error.message") };
      }
      return out;
    }
    default:
      throw bad(`unknown coordination op ${JSON.stringify(String(r.op)).slice(0, 40)}`);
  }
}

/**
 * The answer's content checked against its question: a bid is no bid or an object (its value is
 * the gateway's bid check's business), an award reply `{ accept, reason? }`, a run outcome
 * `{ ok: true, result? } | { ok: false, error: { code, message } }`. Throws LOS_E_AGENT_PROTOCOL.
 */
export function checkAnswer<Q extends AgentQuestion>(kind: Q["kind"], answer: unknown): AgentAnswer<Q> {
  return check(kind, answer) as AgentAnswer<Q>;
}

function check(kind: AgentQuestion["kind"], a: unknown): AgentAnswer<AgentQuestion> {
  switch (kind) {
    case "cfp":
      if (a === undefined || a === null) return undefined;
      return plainObject(a, "bid") as unknown as AgentAnswer<AgentQuestion>;
    case "award": {
      const r = plainObject(a, "award reply");
      if (typeof r.accept !== "boolean") throw bad("award reply needs accept: true or false");
      const out: TaskAwardReply = { accept: r.accept };
      if (r.reason !== undefined) out.reason = str(r.reason, "reason");
      return out;
    }
    case "run": {
      const r = plainObject(a, "run outcome");
      if (r.ok === true) return (r.result === undefined ? { ok: true } : { ok: true, result: r.result }) satisfies TaskOutcome;
      if (r.ok !== false) throw bad("run outcome needs ok: true or false");
      const e = plainObject(r.error, "run outcome error");
      return { ok: false, error: { code: str(e.code, "error.code"), message: str(e.message, "error.message") } };
    }
    case "cancel":
      return undefined;
  }
}
