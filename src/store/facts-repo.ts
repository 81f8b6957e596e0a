/**
 * The shared fact space in state.db (synchronous=FULL): a put or delete is committed before the
 * writer hears of it, so facts survive a gateway restart. Values are stored as JSON text.
 */
import type { Fact, FactScope } from "../core/task-types.js";
import type { Db } from "./sqlite.js";
import { StatementCache } from "./statement-cache.js";

interface Row {
  scope: FactScope;
  owner: string;
  key: string;
  value: string;
  ts: number;
  expires_at: number | null;
  by: string;
}

export class FactsRepo {
  #db: Db;
  readonly #sql: StatementCache;

  constructor(db: Db) {
    this.#db = db;
    this.#sql = new StatementCache(db);
  }

  all(): Fact[] {
    return (this.#sql.get("SELECT * FROM facts ORDER BY scope, owner, key").all() as Row[]).map(fromRow);
  }

  upsert(f: Fact): void {
    this.#sql.get(
      `INSERT INTO facts (scope, owner, key, value, ts, expires_at, by) VALUES (@scope, @owner, @key, @value, @ts, @expiresAt, @by)
       ON CONFLICT (scope, owner, key) DO UPDATE SET value = excluded.value, ts = excluded.ts, expires_at = excluded.expires_at, by = excluded.by`,
    ).run({ scope: f.scope, owner: f.owner, key: f.key, value: JSON.stringify(f.value), ts: f.ts, expiresAt: f.expiresAt ?? null, by: f.by });
  }

  /** Delete these facts in one transaction. */
  delete(ids: readonly Pick<Fact, "scope" | "owner" | "key">[]): void {
    if (ids.length === 0) return;
    const stmt = this.#sql.get("DELETE FROM facts WHERE scope = @scope AND owner = @owner AND key = @key");
    this.#db.transaction(() => {
      for (const f of ids) stmt.run({ scope: f.scope, owner: f.owner, key: f.key });
    })();
  }

}

function fromRow(r: Row): Fact {
  const f: Fact = { scope: r.scope, owner: r.owner, key: r.key, value: JSON.parse(r.value) as unknown, ts: r.ts, by: r.by };
  if (r.expires_at !== null) f.expiresAt = r.expires_at;
  return f;
}
