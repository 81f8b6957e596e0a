/**
 * Leases and reservations in state.db (synchronous=FULL): every grant, renewal and end is committed
 * before the caller hears of it, so a restarted gateway knows who held what. When a resource's
 * newest grant ends, its row stays as a tombstone (from_ts = until_ts) so the fencing token keeps
 * increasing across restarts; older ended rows are deleted.
 */
import type { LeaseKind, LeaseRecord } from "../core/task-types.js";
import type { Db } from "./sqlite.js";
import { StatementCache } from "./statement-cache.js";

interface Row {
  resource: string;
  token: number;
  holder: string;
  kind: LeaseKind;
  from_ts: number;
  until_ts: number;
  ttl_ms: number | null;
}

export class LeasesRepo {
  #db: Db;
  readonly #sql: StatementCache;

  constructor(db: Db) {
    this.#db = db;
    this.#sql = new StatementCache(db);
  }

  /** Grants still in force or in the future (tombstones left out), oldest token first. */
  active(): LeaseRecord[] {
    return (this.#sql.get("SELECT * FROM leases WHERE from_ts < until_ts ORDER BY resource, token").all() as Row[]).map(fromRow);
  }

  /** The highest token ever granted per resource (tombstones included). */
  maxTokens(): Map<string, number> {
    const rows = this.#sql.get("SELECT resource, max(token) AS token FROM leases GROUP BY resource").all() as { resource: string; token: number }[];
    return new Map(rows.map((r) => [r.resource, r.token]));
  }

  /** A new grant; the resource's tombstones go. */
  insert(rec: LeaseRecord): void {
    this.#db.transaction(() => {
      this.#sql.get("DELETE FROM leases WHERE resource = ? AND from_ts = until_ts").run(rec.resource);
      this.#sql.get(
        "INSERT INTO leases (resource, token, holder, kind, from_ts, until_ts, ttl_ms) VALUES (@resource, @token, @holder, @kind, @from, @until, @ttl)",
      ).run({ resource: rec.resource, token: rec.token, holder: rec.holder, kind: rec.kind, from: rec.from, until: rec.until, ttl: rec.ttlMs ?? null });
    })();
  }

  /** New end times (renewals), in one transaction. */
  extend(recs: readonly LeaseRecord[]): void {
    if (recs.length === 0) return;
    const stmt = this.#sql.get("UPDATE leases SET until_ts = @until, ttl_ms = @ttl WHERE resource = @resource AND token = @token");
    this.#db.transaction(() => {
      for (const r of recs) stmt.run({ resource: r.resource, token: r.token, until: r.until, ttl: r.ttlMs ?? null });
    })();
  }

  /**
   * Grants that ended (released, expired, reservation over), in one transaction: the newest grant of
   * its resource becomes a tombstone, any other is deleted.
   */
  end(recs: readonly LeaseRecord[], at: number): void {
    if (recs.length === 0) return;
    const tomb = this.#sql.get(
      `UPDATE leases SET from_ts = @at, until_ts = @at
       WHERE resource = @resource AND token = @token AND token = (SELECT max(token) FROM leases WHERE resource = @resource)`,
    );
    const del = this.#sql.get("DELETE FROM leases WHERE resource = @resource AND token = @token AND from_ts < until_ts");
    this.#db.transaction(() => {
      for (const r of recs) {
        tomb.run({ resource: r.resource, token: r.token, at });
        del.run({ resource: r.resource, token: r.token });
      }
    })();
  }

}

function fromRow(r: Row): LeaseRecord {
  const rec: LeaseRecord = { resource: r.resource, holder: r.holder, kind: r.kind, token: r.token, from: r.from_ts, until: r.until_ts };
  if (r.ttl_ms !== null) rec.ttlMs = r.ttl_ms;
  return rec;
}
