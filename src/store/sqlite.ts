/**
 * Opening SQLite files with the project's pragmas. One writer connection per file (WAL lets readers,
 * such as the CLI, run concurrently with the gateway's writer). Library errors become LOS_E_STORE_OPEN.
 */
import Database from "better-sqlite3";
import { LosError } from "../core/errors.js";

export type Db = Database.Database;

export type Synchronous = "FULL" | "NORMAL";

export interface OpenDatabaseOptions {
  /** FULL for acknowledged data (survives power loss), NORMAL for telemetry history. */
  synchronous: Synchronous;
  /** Must be set before the first table exists; INCREMENTAL lets retention give space back. */
  autoVacuum?: "NONE" | "INCREMENTAL";
  /** How long a statement waits for a lock held by another connection (ms). Default 5000. */
  busyTimeoutMs?: number;
  /** Upper bound of the -wal file kept on disk after a checkpoint (bytes). Default 16 MiB. */
  walSizeLimitBytes?: number;
  /** Page cache of this connection (KiB; SQLite's default is 2000). */
  cacheSizeKiB?: number;
  /** WAL pages that trigger an automatic checkpoint at commit (SQLite's default is 1000). */
  walAutocheckpointPages?: number;
}

/** Open (creating if missing) a database file for writing, in WAL mode. */
export function openDatabase(path: string, options: OpenDatabaseOptions): Db {
  let db: Db | undefined;
  try {
    db = new Database(path);
    // auto_vacuum only takes effect on a database without tables, and must precede the switch to WAL.
    if (options.autoVacuum !== undefined) db.pragma(`auto_vacuum = ${options.autoVacuum}`);
    const mode = db.pragma("journal_mode = WAL", { simple: true });
    if (String(mode).toLowerCase() !== "wal") throw new Error(`journal_mode stayed ${String(mode)}`);
    db.pragma(`synchronous = ${options.synchronous}`);
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
    db.pragma("foreign_keys = ON");
    db.pragma(`journal_size_limit = ${Math.trunc(options.walSizeLimitBytes ?? 16 * 1024 * 1024)}`);
    if (options.cacheSizeKiB !== undefined) db.pragma(`cache_size = ${-Math.trunc(options.cacheSizeKiB)}`);
    if (options.walAutocheckpointPages !== undefined) db.pragma(`wal_autocheckpoint = ${Math.trunc(options.walAutocheckpointPages)}`);
    return db;
  } catch (err) {
    closeQuietly(db);
    throw openError(path, err, false);
  }
}

/**
 * Open an existing database read-only (CLI readers). Works while a gateway holds the writer: WAL
 * gives the reader a consistent snapshot per transaction without blocking the writer.
 */
export function openDatabaseReadOnly(path: string, options: { busyTimeoutMs?: number } = {}): Db {
  let db: Db | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
    return db;
  } catch (err) {
    closeQuietly(db);
    throw openError(path, err, true);
  }
}

function openError(path: string, err: unknown, readonly: boolean): LosError {
  const reason = err instanceof Error ? err.message : String(err);
  const how = readonly ? "read-only" : "for writing";
  return new LosError("LOS_E_STORE_OPEN", `Cannot open ${path} ${how}: ${reason}`, {
    cause: err,
    details: { path, readonly },
  });
}

function closeQuietly(db: Db | undefined): void {
  try {
    if (db?.open) db.close();
  } catch {
    // already failing: the open error is the one worth reporting
  }
}
