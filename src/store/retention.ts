/**
 * Telemetry retention on history.db: by age (samples older than maxAgeMs) and by size (live pages of
 * the file above maxBytes: the oldest written samples go first), then `PRAGMA incremental_vacuum`
 * gives the freed pages back to the file system. Work is done in short transactions with a yield to
 * the event loop between them, so a run never blocks the gateway for long. Periodic runs never throw.
 */
import type { Statement } from "better-sqlite3";
import type { Clock, TimerHandle } from "../core/clock.js";
import { toLosError } from "../core/errors.js";
import type { Logger } from "../core/types.js";
import type { Db } from "./sqlite.js";

export interface RetentionOptions {
  /** Delete samples older than this (ms before clock.now()). Omit to keep by age forever. */
  maxAgeMs?: number;
  /** Keep the live pages of history.db under this many bytes. Omit for no size limit. */
  maxBytes?: number;
  /** Period of automatic runs (ms, on the clock). Default 60 000. */
  intervalMs?: number;
  /** Rows deleted per transaction before yielding. Default 2000. */
  chunkRows?: number;
  /** Pages vacuumed per step before yielding. Default 1024. */
  vacuumPages?: number;
}

export interface RetentionRun {
  deletedByAge: number;
  deletedBySize: number;
  pagesFreed: number;
  bytesBefore: number;
  bytesAfter: number;
}

export interface RetentionStats {
  runs: number;
  failedRuns: number;
  deletedByAge: number;
  deletedBySize: number;
  lastRun?: RetentionRun & { at: number };
  lastError?: { code: string; message: string; at: number };
}

/** Points visited per age-retention transaction at most (each visit is one index seek). */
const POINTS_PER_SLICE = 256;

export class Retention {
  readonly options: Readonly<RetentionOptions>;
  #db: Db;
  #clock: Clock;
  #log: Logger;
  #chunkRows: number;
  #vacuumPages: number;
  #intervalMs: number;
  #timer: TimerHandle | undefined;
  #running: Promise<RetentionRun> | undefined;
  #stopped = false;
  #stats: RetentionStats = { runs: 0, failedRuns: 0, deletedByAge: 0, deletedBySize: 0 };
  #deleteOld: Statement;
  #deleteOldest: Statement;

  constructor(db: Db, clock: Clock, logger: Logger, options: RetentionOptions = {}) {
    this.options = { ...options };
    this.#db = db;
    this.#clock = clock;
    this.#log = logger;
    this.#chunkRows = Math.max(1, Math.trunc(options.chunkRows ?? 2000));
    this.#vacuumPages = Math.max(1, Math.trunc(options.vacuumPages ?? 1024));
    this.#intervalMs = Math.max(1, options.intervalMs ?? 60_000);
    this.#deleteOld = db.prepare(
      "DELETE FROM samples WHERE rowid IN (SELECT rowid FROM samples WHERE point_id = ? AND ts < ? LIMIT ?)",
    );
    this.#deleteOldest = db.prepare("DELETE FROM samples WHERE rowid IN (SELECT rowid FROM samples ORDER BY rowid LIMIT ?)");
  }

  /** Run every intervalMs on the clock until stop(). */
  start(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.runOnce()
        .catch(() => {}) // already counted and logged
        .finally(() => this.start());
    }, this.#intervalMs);
    this.#timer.unref?.();
  }

  /** Run the rules now (joins a run already under way). Rejects only when called directly and the run fails. */
  runOnce(): Promise<RetentionRun> {
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Stop the timer and wait for a run under way to reach its next yield point. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => {});
  }

  stats(): RetentionStats {
    return structuredClone(this.#stats);
  }

  /** Bytes of history.db as SQLite sees it: total pages and pages on the free list. */
  size(): { bytes: number; freeBytes: number } {
    const pageSize = this.#pragma("page_size");
    return { bytes: this.#pragma("page_count") * pageSize, freeBytes: this.#pragma("freelist_count") * pageSize };
  }

  async #run(): Promise<RetentionRun> {
    const bytesBefore = this.size().bytes;
    const run: RetentionRun = { deletedByAge: 0, deletedBySize: 0, pagesFreed: 0, bytesBefore, bytesAfter: bytesBefore };
    try {
      if (this.options.maxAgeMs !== undefined) run.deletedByAge = await this.#byAge(this.#clock.now() - this.options.maxAgeMs);
      if (this.options.maxBytes !== undefined) run.deletedBySize = await this.#bySize(this.options.maxBytes);
      if (run.deletedByAge + run.deletedBySize > 0 || this.#pragma("freelist_count") > 0) run.pagesFreed = await this.#vacuum();
      run.bytesAfter = this.size().bytes;
    } catch (err) {
      const e = toLosError(err, "LOS_E_STORE_WRITE");
      this.#stats.failedRuns++;
      this.#stats.lastError = { code: e.code, message: e.message, at: this.#clock.now() };
      this.#log.error({ err: e }, "telemetry retention run failed");
      throw e;
    } finally {
      this.#stats.runs++;
      this.#stats.deletedByAge += run.deletedByAge;
      this.#stats.deletedBySize += run.deletedBySize;
    }
    this.#stats.lastRun = { ...run, at: this.#clock.now() };
    if (run.deletedByAge + run.deletedBySize > 0) this.#log.info({ ...run }, "telemetry retention");
    return run;
  }

  async #byAge(cutoff: number): Promise<number> {
    const ids = (this.#db.prepare("SELECT id FROM points ORDER BY id").pluck().all() as number[]);
    let deleted = 0;
    let next = 0;
    while (next < ids.length && !this.#stopped) {
      const slice = this.#db.transaction(() => {
        let rows = 0;
        let visited = 0;
        while (next < ids.length && rows < this.#chunkRows && visited < POINTS_PER_SLICE) {
          const limit = this.#chunkRows - rows;
          const n = this.#deleteOld.run(ids[next], cutoff, limit).changes;
          rows += n;
          visited++;
          if (n < limit) next++; // this point has nothing older left
        }
        return rows;
      });
      deleted += slice();
      await yieldToEventLoop();
    }
    return deleted;
  }

  async #bySize(maxBytes: number): Promise<number> {
    let deleted = 0;
    while (!this.#stopped) {
      const { bytes, freeBytes } = this.size();
      if (bytes - freeBytes <= maxBytes) break;
      const n = this.#deleteOldest.run(this.#chunkRows).changes;
      if (n === 0) break; // nothing left to delete: the rest is schema and points
      deleted += n;
      await yieldToEventLoop();
    }
    return deleted;
  }

  async #vacuum(): Promise<number> {
    let freed = 0;
    while (!this.#stopped) {
      const before = this.#pragma("page_count");
      this.#db.pragma(`incremental_vacuum(${this.#vacuumPages})`);
      const gone = before - this.#pragma("page_count");
      freed += gone;
      if (gone <= 0 || this.#pragma("freelist_count") === 0) break;
      await yieldToEventLoop();
    }
    // Copy the WAL back so the shrunken file is visible on disk; PASSIVE never waits for readers.
    this.#db.pragma("wal_checkpoint(PASSIVE)");
    return freed;
  }

  #pragma(name: string): number {
    return Number(this.#db.pragma(name, { simple: true }));
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
