/**
 * Tasks and their events in state.db (synchronous=FULL): a task is committed before its creator hears
 * of it, and every transition is written with its event in one transaction, so after a power cut the
 * task is in the last state someone was told about. The filter columns are copies; `data` holds the
 * whole TaskRecord as JSON. See docs/tasks.md.
 */
import { LosError } from "../core/errors.js";
import { FINAL_TASK_STATES, type TaskEvent, type TaskRecord, type TaskState } from "../core/task-types.js";
import type { Db } from "./sqlite.js";
import { StatementCache } from "./statement-cache.js";

/** A task event as stored. */
export type TaskEventRecord = TaskEvent;

export type NewTaskEvent = Omit<TaskEventRecord, "id" | "taskId">;

export interface TaskQuery {
  state?: TaskState | readonly TaskState[];
  tenant?: string;
  type?: string;
  limit?: number;
}

interface EventRow {
  id: number;
  task_id: string;
  ts: number;
  event: string;
  agent: string | null;
  attempt: number | null;
  code: string | null;
  data: string | null;
}

const FINAL_SQL = FINAL_TASK_STATES.map((s) => `'${s}'`).join(", ");

export class TasksRepo {
  #db: Db;
  readonly #sql: StatementCache;

  constructor(db: Db) {
    this.#db = db;
    this.#sql = new StatementCache(db);
  }


  /** Store a new task with its first events; LOS_E_TASK_DUPLICATE when the id exists. */
  insert(task: TaskRecord, events: readonly NewTaskEvent[] = []): void {
    try {
      this.#db.transaction(() => {
        this.#sql.get(
          `INSERT INTO tasks (id, type, tenant, state, priority, deadline, allocation, created_by, created_at, updated_at, winner, attempt, data)
           VALUES (@id, @type, @tenant, @state, @priority, @deadline, @allocation, @createdBy, @createdAt, @updatedAt, @winner, @attempt, @data)`,
        ).run(columns(task));
        for (const e of events) this.#insertEvent(task.id, e);
      })();
    } catch (err) {
      if ((err as { code?: string }).code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
        throw new LosError("LOS_E_TASK_DUPLICATE", `a task with id "${task.id}" already exists`, { details: { task: task.id } });
      }
      throw err;
    }
  }

  /** Write the task's new state and its events in one transaction. */
  update(task: TaskRecord, events: readonly NewTaskEvent[] = []): void {
    this.#db.transaction(() => {
      const r = this.#sql.get(
        `UPDATE tasks SET type = @type, tenant = @tenant, state = @state, priority = @priority, deadline = @deadline, allocation = @allocation,
           created_by = @createdBy, created_at = @createdAt, updated_at = @updatedAt, winner = @winner, attempt = @attempt, data = @data WHERE id = @id`,
      ).run(columns(task));
      if (r.changes === 0) throw new LosError("LOS_E_TASK_UNKNOWN", `no task with id "${task.id}"`, { details: { task: task.id } });
      for (const e of events) this.#insertEvent(task.id, e);
    })();
  }

  /** Events without a state change (bids, stale reports), in one transaction. */
  addEvents(taskId: string, events: readonly NewTaskEvent[]): void {
    this.#db.transaction(() => {
      for (const e of events) this.#insertEvent(taskId, e);
    })();
  }

  get(id: string): TaskRecord | undefined {
    const row = this.#sql.get("SELECT data FROM tasks WHERE id = ?").get(id) as { data: string } | undefined;
    return row && (JSON.parse(row.data) as TaskRecord);
  }

  /** Newest first, at most `limit` (default 1000). */
  list(q: TaskQuery = {}): TaskRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.state !== undefined) {
      const states = typeof q.state === "string" ? [q.state] : [...q.state];
      where.push(`state IN (${states.map(() => "?").join(", ")})`);
      args.push(...states);
    }
    if (q.tenant !== undefined) {
      where.push("tenant = ?");
      args.push(q.tenant);
    }
    if (q.type !== undefined) {
      where.push("type = ?");
      args.push(q.type);
    }
    args.push(Math.max(1, Math.trunc(q.limit ?? 1000)));
    const sql = `SELECT data FROM tasks ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, id LIMIT ?`;
    return (this.#db.prepare(sql).all(...args) as { data: string }[]).map((r) => JSON.parse(r.data) as TaskRecord);
  }

  /** Tasks not yet finished, highest priority first, oldest first within a priority. */
  unfinished(): TaskRecord[] {
    const rows = this.#sql.get(`SELECT data FROM tasks WHERE state NOT IN (${FINAL_SQL}) ORDER BY priority DESC, created_at, id`).all() as { data: string }[];
    return rows.map((r) => JSON.parse(r.data) as TaskRecord);
  }

  events(taskId: string): TaskEventRecord[] {
    const rows = this.#sql.get("SELECT * FROM task_events WHERE task_id = ? ORDER BY id").all(taskId) as EventRow[];
    return rows.map((r) => {
      const e: TaskEventRecord = { id: r.id, taskId: r.task_id, ts: r.ts, event: r.event };
      if (r.agent !== null) e.agent = r.agent;
      if (r.attempt !== null) e.attempt = r.attempt;
      if (r.code !== null) e.code = r.code;
      if (r.data !== null) e.data = JSON.parse(r.data) as unknown;
      return e;
    });
  }

  /** Delete finished tasks last changed before `before`, with their events; returns their ids. */
  prune(before: number): string[] {
    return this.#db.transaction(() => {
      const ids = (this.#sql.get(`SELECT id FROM tasks WHERE state IN (${FINAL_SQL}) AND updated_at < ?`).all(before) as { id: string }[]).map((r) => r.id);
      for (const id of ids) {
        this.#sql.get("DELETE FROM task_events WHERE task_id = ?").run(id);
        this.#sql.get("DELETE FROM tasks WHERE id = ?").run(id);
      }
      return ids;
    })();
  }

  #insertEvent(taskId: string, e: NewTaskEvent): void {
    this.#sql.get("INSERT INTO task_events (task_id, ts, event, agent, attempt, code, data) VALUES (?, ?, ?, ?, ?, ?, ?)").run(
      taskId,
      e.ts,
      e.event,
      e.agent ?? null,
      e.attempt ?? null,
      e.code ?? null,
      e.data === undefined ? null : JSON.stringify(e.data),
    );
  }
}

function columns(t: TaskRecord): Record<string, unknown> {
  return {
    id: t.id,
    type: t.type,
    tenant: t.tenant ?? null,
    state: t.state,
    priority: t.priority,
    deadline: t.deadline ?? null,
    allocation: t.allocation,
    createdBy: t.createdBy,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    winner: t.winner ?? null,
    attempt: t.attempt,
    data: JSON.stringify(t),
  };
}
