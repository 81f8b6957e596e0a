/**
 * Task requests from agents (coordinate ops, docs/coordination.md): `task.create` (created by
 * `agent:<id>`; an agent of a tenant creates tasks of its tenant only), `task.progress` (a note from
 * the winner, refused as stale for an old attempt) and `task.local` (a task run in code by
 * `agent.assignTask`, recorded as a direct task so `llmagentos tasks` shows it). Never rejects.
 */
import { toLosError } from "../core/errors.js";
import type { CoordinationReply, CoordinationRequest, TaskRecord } from "../core/task-types.js";
import type { TaskManager } from "./task-manager.js";

type TaskRequest = Extract<CoordinationRequest, { op: "task.create" | "task.progress" | "task.local" }>;
type Fail = Extract<CoordinationReply, { ok: false }>;

const fail = (code: string, message: string): Fail => ({ ok: false, code, message });

export function handleTaskRequest(m: TaskManager, agentId: string, agentTenant: string | undefined, req: TaskRequest): Promise<CoordinationReply> {
  try {
    return Promise.resolve(handle(m, agentId, agentTenant, req));
  } catch (err) {
    const e = toLosError(err);
    return Promise.resolve(fail(e.code, e.message));
  }
}

function handle(m: TaskManager, agentId: string, agentTenant: string | undefined, req: TaskRequest): CoordinationReply {
  switch (req.op) {
    case "task.create": {
      const spec = req.spec as unknown;
      if (typeof spec !== "object" || spec === null) return fail("LOS_E_TASK_INVALID", "task.create needs a spec object");
      const s = { ...(spec as Record<string, unknown>) };
      if (agentTenant !== undefined) {
        if (s.tenant !== undefined && s.tenant !== agentTenant) return fail("LOS_E_TASK_INVALID", `agent "${agentId}" of tenant "${agentTenant}" may only create tasks of its tenant`);
        s.tenant = agentTenant;
      }
      return { ok: true, task: m.create(s as never, `agent:${agentId}`) };
    }
    case "task.progress": {
      const task = m.get(req.taskId);
      if (!task) return fail("LOS_E_TASK_UNKNOWN", `no task with id "${String(req.taskId)}"`);
      const mine = task.winner === agentId || task.parts?.some((p) => p.agent === agentId && p.attempt === req.attempt);
      if (!mine || (task.parts?.length ? false : task.attempt !== req.attempt) || task.state !== "running") {
        m.note(task.id, [{ ts: m.clock.now(), event: "stale-progress", agent: agentId, attempt: req.attempt, code: "LOS_E_TASK_STALE" }]);
        return fail("LOS_E_TASK_STALE", `task ${task.id} is ${task.state} at attempt ${task.attempt}: this report (attempt ${req.attempt}) is stale`);
      }
      const note = typeof req.note === "string" ? req.note.slice(0, 1024) : undefined;
      m.note(task.id, [{ ts: m.clock.now(), event: "progress", agent: agentId, attempt: req.attempt, ...(note !== undefined ? { data: { note } } : {}) }]);
      return { ok: true, task };
    }
    case "task.local":
      return { ok: true, task: local(m, agentId, agentTenant, req) };
  }
}

function local(m: TaskManager, agentId: string, tenant: string | undefined, req: Extract<TaskRequest, { op: "task.local" }>): TaskRecord {
  const id = `local.${String(req.localId).replace(/[^A-Za-z0-9._-]/g, ".")}`.slice(0, 128);
  const name = String(req.name).replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 64) || "task";
  const now = m.clock.now();
  if (!m.get(id)) {
    const task: TaskRecord = {
      id,
      type: name,
      requires: [],
      params: {},
      priority: m.deps.defaults.priority,
      allocation: "direct",
      assignee: agentId,
      winner: agentId,
      auction: { ...m.deps.defaults.auction },
      negotiation: { ...m.deps.defaults.negotiation },
      leaseMs: 0,
      state: "pending",
      createdBy: `agent:${agentId}`,
      createdAt: now,
      updatedAt: now,
      attempt: 1,
      round: 0,
      excluded: [],
      ...(tenant !== undefined ? { tenant } : {}),
    };
    m.record(task, [{ ts: now, event: "created", agent: agentId, data: { local: true } }]);
    m.apply(id, { to: "running", events: [{ ts: now, event: "running", agent: agentId, attempt: 1 }] });
  }
  if (req.phase === "done") m.apply(id, { to: "done", ifState: ["running"], events: [{ ts: now, event: "done", agent: agentId, attempt: 1 }] });
  if (req.phase === "failed") {
    const error = req.error && typeof req.error.code === "string" ? { code: req.error.code, message: String(req.error.message) } : { code: "LOS_E_AGENT_FAILED", message: "the task failed" };
    m.apply(id, { to: "failed", ifState: ["running"], patch: { error }, events: [{ ts: now, event: "failed", agent: agentId, attempt: 1, code: error.code, data: { message: error.message } }] });
  }
  return m.get(id)!;
}
