/**
 * Versioned schema migrations tracked in `PRAGMA user_version`. Each migration runs in its own
 * transaction together with the version bump, so a failure leaves the database at the previous
 * version. A database newer than the code is refused rather than guessed at.
 */
import { LosError } from "../core/errors.js";
import type { Db } from "./sqlite.js";

export interface Migration {
  /** 1, 2, 3… in order, without gaps. */
  version: number;
  /** Short description, for errors and logs. */
  name: string;
  up(db: Db): void;
}

export interface MigrationResult {
  from: number;
  to: number;
  applied: number[];
}

export function schemaVersion(db: Db): number {
  return Number(db.pragma("user_version", { simple: true }));
}

/** The version a list of migrations brings a database to. */
export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
}

/** Bring `db` up to the latest version in `migrations`. `label` names the database in errors. */
export function migrate(db: Db, migrations: readonly Migration[], label: string): MigrationResult {
  checkList(migrations, label);
  const from = schemaVersion(db);
  const latest = latestVersion(migrations);
  if (from > latest) throw tooNew(label, from, latest);
  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version <= from) continue;
    const step = db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    });
    try {
      step.immediate();
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new LosError(
        "LOS_E_STORE_MIGRATION",
        `${label}: migration ${m.version} (${m.name}) failed: ${reason}; the database stays at version ${schemaVersion(db)}`,
        { cause: err, details: { database: label, version: m.version, name: m.name } },
      );
    }
    applied.push(m.version);
  }
  return { from, to: schemaVersion(db), applied };
}

/** For read-only connections: the schema must be exactly the one this code knows. */
export function assertSchemaCurrent(db: Db, migrations: readonly Migration[], label: string): void {
  const found = schemaVersion(db);
  const latest = latestVersion(migrations);
  if (found > latest) throw tooNew(label, found, latest);
  if (found < latest) {
    throw new LosError(
      "LOS_E_STORE_VERSION",
      `${label} is at schema version ${found}, this code expects ${latest}; start the gateway once to migrate it`,
      { details: { database: label, found, expected: latest } },
    );
  }
}

function tooNew(label: string, found: number, latest: number): LosError {
  return new LosError(
    "LOS_E_STORE_VERSION",
    `${label} is at schema version ${found}, newer than this code knows (${latest}); upgrade LLMAgentOS or restore a matching backup`,
    { details: { database: label, found, expected: latest } },
  );
}

function checkList(migrations: readonly Migration[], label: string): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new LosError("LOS_E_INTERNAL", `${label}: migrations must be numbered 1, 2, 3… without gaps (found ${m.version} at position ${i + 1})`);
    }
  });
}
