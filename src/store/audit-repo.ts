/**
 * Audit of actuations in state.db (synchronous=FULL): `record` returns only after the row is
 * committed, so an acknowledged actuation survives a crash or a power cut. `recordMany` commits
 * several in one transaction (one fsync) when a caller has a batch.
 */
import type { Statement } from "better-sqlite3";
import { LosError } from "../core/errors.js";
import type { Actor, Value } from "../core/types.js";
import type { Db } from "./sqlite.js";

export type AuditOutcome = "accepted" | "refused" | "failed";

export interface AuditEntry {
  /** Epoch ms of the decision. */
  ts: number;
  actor: Actor;
  point: string;
  value: Value;
  previous?: Value;
  reason: string;
  outcome: AuditOutcome;
  /** Error code when refused or failed. */
  code?: string;
  message?: string;
  /** idempotency key of a write made inside a task: at most one accepted row per key */
  idemKey?: string;
}

export interface AuditRecord extends AuditEntry {
  id: number;
}

export interface AuditQuery {
  /** Inclusive lower bound on ts. */
  since?: number;
  point?: string;
  /** Actor id (any kind). */
  actor?: string;
  /** Default 100, max 10 000. */
  limit?: number;
}

interface AuditRow {
  id: number;
  ts: number;
  actor_kind: Actor["kind"];
  actor_id: string;
  tenant: string | null;
  point: string;
  value: string;
  previous: string | null;
  reason: string;
  outcome: AuditOutcome;
  code: string | null;
  message: string | null;
  idem_key: string | null;
}

const OUTCOMES: ReadonlySet<string> = new Set(["accepted", "refused", "failed"]);
const ACTOR_KINDS: ReadonlySet<string> = new Set(["agent", "operator", "mqtt", "system"]);
const MAX_LIMIT = 10_000;

export class AuditRepo {
  #db: Db;
  #insert: Statement | undefined;
  #count: Statement | undefined;
  #byKey: Statement | undefined;
  #after: Statement | undefined;
  #lists = new Map<string, Statement>();

  constructor(db: Db) {
    this.#db = db;
  }

  /** Store one entry; committed (fsync'd under FULL) before this returns. */
  record(entry: AuditEntry): AuditRecord {
    check(entry);
    const id = this.#insertRow(entry);
    return { ...entry, id };
  }

  /** Store several entries in one transaction: all or none. */
  recordMany(entries: readonly AuditEntry[]): AuditRecord[] {
    entries.forEach(check);
    return this.#db.transaction(() => entries.map((e) => ({ ...e, id: this.#insertRow(e) })))();
  }

  /** Newest first (by ts, then id). */
  list(query: AuditQuery = {}): AuditRecord[] {
    const limit = query.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new LosError("LOS_E_STORE_QUERY", `limit must be an integer in 1..${MAX_LIMIT}, got ${limit}`, { details: { limit } });
    }
    const where: string[] = [];
    const params: Record<string, unknown> = { limit };
    if (query.since !== undefined) {
      where.push("ts >= @since");
      params.since = query.since;
    }
    if (query.point !== undefined) {
      where.push("point = @point");
      params.point = query.point;
    }
    if (query.actor !== undefined) {
      where.push("actor_id = @actor");
      params.actor = query.actor;
    }
    const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY ts DESC, id DESC LIMIT @limit`;
    let stmt = this.#lists.get(sql);
    if (stmt === undefined) {
      stmt = this.#db.prepare(sql);
      this.#lists.set(sql, stmt);
    }
    return (stmt.all(params) as AuditRow[]).map(fromRow);
  }

  /** The accepted write made with this idempotency key, if any. */
  acceptedByKey(key: string): AuditRecord | undefined {
    this.#byKey ??= this.#db.prepare("SELECT * FROM audit WHERE idem_key = ? AND outcome = 'accepted'");
    const row = this.#byKey.get(key) as AuditRow | undefined;
    return row && fromRow(row);
  }

  /** The newest accepted write to `point` after audit row `afterId` (what undid a keyed write). */
  latestAcceptedAfter(point: string, afterId: number): AuditRecord | undefined {
    this.#after ??= this.#db.prepare("SELECT * FROM audit WHERE point = ? AND id > ? AND outcome = 'accepted' ORDER BY id DESC LIMIT 1");
    const row = this.#after.get(point, afterId) as AuditRow | undefined;
    return row && fromRow(row);
  }

  count(): number {
    this.#count ??= this.#db.prepare("SELECT count(*) FROM audit").pluck();
    return this.#count.get() as number;
  }

  #insertRow(e: AuditEntry): number {
    this.#insert ??= this.#db.prepare(
      `INSERT INTO audit (ts, actor_kind, actor_id, tenant, point, value, previous, reason, outcome, code, message, idem_key)
       VALUES (@ts, @actorKind, @actorId, @tenant, @point, @value, @previous, @reason, @outcome, @code, @message, @idemKey)`,
    );
    const info = this.#insert.run({
      ts: e.ts,
      actorKind: e.actor.kind,
      actorId: e.actor.id,
      tenant: e.actor.tenant ?? null,
      point: e.point,
      value: JSON.stringify(e.value),
      previous: e.previous === undefined ? null : JSON.stringify(e.previous),
      reason: e.reason,
      outcome: e.outcome,
      code: e.code ?? null,
      message: e.message ?? null,
      idemKey: e.idemKey ?? null,
    });
    return Number(info.lastInsertRowid);
  }
}

function check(e: AuditEntry): void {
  const bad = (what: string) =>
    new LosError("LOS_E_STORE_QUERY", `invalid audit entry: ${what}`, { details: { point: e.point, outcome: e.outcome } });
  if (!Number.isFinite(e.ts)) throw bad("ts must be epoch ms");
  if (!OUTCOMES.has(e.outcome)) throw bad(`outcome must be accepted, refused or failed, got ${String(e.outcome)}`);
  if (!e.actor || !ACTOR_KINDS.has(e.actor.kind) || typeof e.actor.id !== "string") throw bad("actor must have a kind and an id");
  if (typeof e.point !== "string" || e.point === "") throw bad("point is required");
  if (!isValue(e.value)) throw bad("value must be a number, boolean or string");
  if (e.previous !== undefined && !isValue(e.previous)) throw bad("previous must be a number, boolean or string");
  if (e.idemKey !== undefined && (typeof e.idemKey !== "string" || e.idemKey === "" || e.idemKey.length > 512)) throw bad("idemKey must be a string of 1 to 512 characters");
}

function isValue(v: unknown): v is Value {
  return (typeof v === "number" && Number.isFinite(v)) || typeof v === "boolean" || typeof v === "string";
}

function fromRow(r: AuditRow): AuditRecord {
  const actor: Actor = { kind: r.actor_kind, id: r.actor_id };
  if (r.tenant !== null) actor.tenant = r.tenant;
  const rec: AuditRecord = {
    id: r.id,
    ts: r.ts,
    actor,
    point: r.point,
    value: JSON.parse(r.value) as Value,
    reason: r.reason,
    outcome: r.outcome,
  };
  if (r.previous !== null) rec.previous = JSON.parse(r.previous) as Value;
  if (r.code !== null) rec.code = r.code;
  if (r.message !== null) rec.message = r.message;
  if (r.idem_key !== null) rec.idemKey = r.idem_key;
  return rec;
}
