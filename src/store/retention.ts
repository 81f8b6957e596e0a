/**
 * Telemetry retention on history.db, by chunk (telemetry-chunk.ts): by age (chunks whose newest
 * sample is older than maxAgeMs: a chunk straddling the cutoff stays until it is entirely old) and by
 * size (live pages of the file above maxBytes: the oldest written chunks go first), then `PRAGMA incremental_vacuum`
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
  /** Samples deleted per transaction before yielding (whole chunks: at least one). Default 2000. */
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

interface ChunkRef {
  id: number;
  n: number;
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
  #selectOld: Statement;
  #selectOldest: Statement;
  #deleteChunk: Statement;

  constructor(db: Db, clock: Clock, logger: Logger, options: RetentionOptions = {}) {
    this.options = { ...options };
    this.#db = db;
    this.#clock = clock;
    this.#log = logger;
    this.#chunkRows = Math.max(1, Math.trunc(options.chunkRows ?? 2000));
    this.#vacuumPages = Math.max(1, Math.trunc(options.vacuumPages ?? 1024));
    this.#intervalMs = Math.max(1, options.intervalMs ?? 60_000);
    // A chunk goes when its newest sample is older than the cutoff (ts_first < cutoff bounds the index seek).
    this.#selectOld = db.prepare(
      "SELECT rowid AS id, n FROM chunks WHERE point_id = ? AND ts_first < ? AND ts_last < ? ORDER BY ts_first LIMIT ?",
    );
    this.#selectOldest = db.prepare("SELECT rowid AS id, n FROM chunks ORDER BY rowid LIMIT ?");
    this.#deleteChunk = db.prepare("DELETE FROM chunks WHERE rowid = ?");
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
    const ids = this.#db.prepare("SELECT id FROM points ORDER BY id").pluck().all() as number[];
    let deleted = 0;
    let next = 0;
    while (next < ids.length && !this.#stopped) {
      const slice = this.#db.transaction(() => {
        let samples = 0;
        let visited = 0;
        while (next < ids.length && samples < this.#chunkRows && visited < POINTS_PER_SLICE) {
          const limit = this.#chunkRows - samples; // in chunks: at least one sample each
          const chunks = this.#selectOld.all(ids[next], cutoff, cutoff, limit) as ChunkRef[];
          samples += this.#delete(chunks);
          visited++;
          if (chunks.length < limit) next++; // this point has nothing older left
        }
        return samples;
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
      // The oldest written chunks (lowest rowids), about chunkRows samples and at least one chunk.
      const chunks = this.#selectOldest.all(this.#chunkRows) as ChunkRef[];
      let take = 0;
      for (let sum = 0; take < chunks.length && sum < this.#chunkRows; take++) sum += chunks[take]!.n;
      const n = this.#db.transaction(() => this.#delete(chunks.slice(0, take)))();
      if (n === 0) break; // nothing left to delete: the rest is schema and points
      deleted += n;
      await yieldToEventLoop();
    }
    return deleted;
  }

  /** Delete chunks by rowid; returns the samples they held. */
  #delete(chunks: readonly ChunkRef[]): number {
    let samples = 0;
    for (const c of chunks) {
      this.#deleteChunk.run(c.id);
      samples += c.n;
    }
    return samples;
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
