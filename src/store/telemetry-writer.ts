/**
 * Buffered telemetry writes to history.db. `append` only copies fields into the ring buffer; rows
 * reach SQLite in one transaction per flush, each point's rows packed into chunks (telemetry-chunk.ts),
 * when the buffer holds `flushRows`, every `flushMs` on the injected clock, and on `flush()`/`close()`.
 * Timer-driven flushes never throw: a failure is counted and logged, and the rows stay buffered for the next attempt (up to `maxBufferRows`, after
 * which the oldest are dropped and counted).
 */
import type { Statement } from "better-sqlite3";
import type { Clock, TimerHandle } from "../core/clock.js";
import { LosError, isLosError } from "../core/errors.js";
import type { Logger, Reading } from "../core/types.js";
import { ChunkBuilder } from "./telemetry-chunk.js";
import { KIND_NONE } from "./telemetry-codec.js";
import { ReadingBuffer } from "./telemetry-buffer.js";
import type { Db } from "./sqlite.js";

export interface TelemetryWriterOptions {
  /** Flush when this many rows are buffered. Default 20 000. */
  flushRows?: number;
  /** Flush buffered rows at most this long after they arrive (ms, on the clock). Default 1000. */
  flushMs?: number;
  /** Keep at most this many rows while the disk is slow or failing; older ones are dropped. Default 200 000. */
  maxBufferRows?: number;
  /**
   * Page cache of the connection per known point (KiB), kept between 2 MiB and 64 MiB. Default 1
   * (2000 points: the 2 MiB floor): a flush dirties about one chunk-index leaf page per point, but
   * 1, 2, 4 and 8 KiB per point measured the same CPU per sample with chunks, and every KiB is RSS
   * (docs/store.md). 0 leaves cache_size alone.
   */
  cacheKiBPerPoint?: number;
}

const MIN_CACHE_KIB = 2048;
/** Rows the write buffer holds beyond flushRows before it grows (a batch arriving as the flush is due). */
const BUFFER_HEADROOM_ROWS = 4096;
const MAX_CACHE_KIB = 64 * 1024;

export interface TelemetryStats {
  /** Rows given to append(). */
  appended: number;
  /** Rows committed to history.db. */
  written: number;
  /** Rows dropped because the buffer was full. */
  dropped: number;
  /** Rows waiting in the buffer. */
  buffered: number;
  flushes: number;
  failedFlushes: number;
  /** Duration of the last successful flush (ms, monotonic clock). */
  lastFlushMs: number;
  lastError?: { code: string; message: string; at: number };
}

interface PointInfo {
  id: number;
  kind: number;
  /** Buffer slots of this point's rows in the flush under way (emptied after each flush). */
  slots: number[];
}

export class TelemetryWriter {
  #db: Db;
  #clock: Clock;
  #log: Logger;
  #flushRows: number;
  #flushMs: number;
  #buf: ReadingBuffer;
  #points = new Map<string, PointInfo>();
  #timer: TimerHandle | undefined;
  #cacheKiBPerPoint: number;
  #cacheKiB = 0;
  #failing = false;
  #closed = false;
  #stats: TelemetryStats = { appended: 0, written: 0, dropped: 0, buffered: 0, flushes: 0, failedFlushes: 0, lastFlushMs: 0 };
  #insertChunkStmt: Statement;
  #chunk = new ChunkBuilder();
  #upsertLast: Statement;
  #selectPoint: Statement<[string], { id: number; kind: number }>;
  #insertPoint: Statement;
  #updateKind: Statement;

  constructor(db: Db, clock: Clock, logger: Logger, options: TelemetryWriterOptions = {}) {
    this.#db = db;
    this.#clock = clock;
    this.#log = logger;
    // Big batches: a flush costs about one B-tree page per point touched plus one chunk row per point,
    // so the more samples per chunk, the cheaper each sample (docs/store.md).
    this.#flushRows = positive(options.flushRows, 20_000);
    this.#flushMs = positive(options.flushMs, 1000);
    this.#cacheKiBPerPoint = options.cacheKiBPerPoint === 0 ? 0 : positive(options.cacheKiBPerPoint, 1);
    const maxRows = Math.max(positive(options.maxBufferRows, 200_000), 1);
    // A flush comes once flushRows are buffered, so room for one more batch on top is enough; the ring
    // doubles when a flush is late or failing. Twice flushRows was ≈ 0.8 MB more RSS at the default.
    this.#buf = new ReadingBuffer(Math.min(this.#flushRows + BUFFER_HEADROOM_ROWS, maxRows), maxRows);
    // One row per point per flush (a chunk of its samples): one index entry instead of one per sample.
    this.#insertChunkStmt = db.prepare("INSERT INTO chunks (point_id, ts_first, ts_last, n, data) VALUES (?, ?, ?, ?, ?)");
    this.#upsertLast = db.prepare(
      `INSERT INTO last_values (point_id, ts, num, txt, quality, error) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (point_id) DO UPDATE SET ts = excluded.ts, num = excluded.num, txt = excluded.txt,
         quality = excluded.quality, error = excluded.error
       WHERE excluded.ts >= last_values.ts`,
    );
    this.#selectPoint = db.prepare("SELECT id, kind FROM points WHERE name = ?");
    this.#insertPoint = db.prepare("INSERT INTO points (name, kind) VALUES (?, ?)");
    this.#updateKind = db.prepare("UPDATE points SET kind = ? WHERE id = ?");
  }

  /** Buffer readings for the next flush. Cheap: no I/O unless the buffer reaches `flushRows`. */
  append(readings: readonly Reading[]): void {
    if (this.#closed) throw new LosError("LOS_E_CLOSED", "The telemetry writer is closed");
    const buf = this.#buf;
    for (let k = 0; k < readings.length; k++) buf.push(readings[k]!);
    this.#stats.appended += readings.length;
    if (buf.size >= this.#flushRows && !this.#failing) this.#flushSafely();
    else if (buf.size > 0 && this.#timer === undefined) this.#schedule();
  }

  /** Write every buffered row now, in one transaction. Returns the rows written; throws LOS_E_STORE_WRITE. */
  flush(): number {
    const n = this.#buf.size;
    if (n === 0) return 0;
    const started = this.#clock.monotonic();
    try {
      this.#db.transaction(() => this.#writeRows(n))();
    } catch (err) {
      this.#points.clear(); // interned ids and kinds from the rolled-back transaction are void
      this.#chunk.reset();
      this.#failing = true;
      this.#stats.failedFlushes++;
      const e = isLosError(err)
        ? err
        : new LosError("LOS_E_STORE_WRITE", `Telemetry flush of ${n} rows failed: ${err instanceof Error ? err.message : String(err)}`, {
            cause: err,
            details: { rows: n },
          });
      this.#stats.lastError = { code: e.code, message: e.message, at: this.#clock.now() };
      if (!this.#closed && this.#timer === undefined) this.#schedule();
      throw e;
    }
    this.#buf.shift(n);
    this.#failing = false;
    this.#sizeCache();
    this.#stats.written += n;
    this.#stats.flushes++;
    this.#stats.lastFlushMs = this.#clock.monotonic() - started;
    return n;
  }

  /** Page cache (KiB) this writer set on its connection (0: not set yet or sizing disabled). */
  get cacheKiB(): number {
    return this.#cacheKiB;
  }

  /** Follow the number of known points with the connection's page cache (only when it changes). */
  #sizeCache(): void {
    if (this.#cacheKiBPerPoint === 0) return;
    const kib = Math.min(MAX_CACHE_KIB, Math.max(MIN_CACHE_KIB, this.#points.size * this.#cacheKiBPerPoint));
    if (kib === this.#cacheKiB) return;
    this.#db.pragma(`cache_size = ${-kib}`);
    this.#cacheKiB = kib;
  }

  stats(): TelemetryStats {
    const s = { ...this.#stats, dropped: this.#buf.dropped, buffered: this.#buf.size };
    if (s.lastError) s.lastError = { ...s.lastError };
    return s;
  }

  /** Flush and stop the timer. Later appends throw LOS_E_CLOSED. Throws LOS_E_STORE_WRITE if the final flush fails. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.flush();
  }

  #schedule(): void {
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#flushSafely();
    }, this.#flushMs); // not unref'd: a pending flush keeps the process alive until the rows are written
  }

  /** For timers and the size trigger: never throws. */
  #flushSafely(): void {
    try {
      this.flush();
    } catch (err) {
      this.#log.error({ err, buffered: this.#buf.size }, "telemetry flush failed; rows kept for retry");
    }
    if (this.#buf.size > 0 && this.#timer === undefined && !this.#closed) this.#schedule();
  }

  #writeRows(n: number): void {
    const buf = this.#buf;
    const touched: PointInfo[] = [];
    for (let k = 0; k < n; k++) {
      const s = buf.slot(k);
      const info = this.#point(buf.name(s), buf.kind(s));
      if (info.slots.length === 0) touched.push(info);
      info.slots.push(s);
    }
    const chunk = this.#chunk;
    for (const info of touched) {
      const slots = info.slots;
      if (!inTimeOrder(buf, slots)) slots.sort((a, b) => buf.ts(a) - buf.ts(b)); // stable: ties keep arrival order
      for (let k = 0; k < slots.length; k++) {
        const s = slots[k]!;
        const ts = buf.ts(s);
        if (!chunk.fits(ts)) this.#insertChunk(info.id);
        chunk.add(ts, buf.num(s), buf.txt(s), buf.quality(s), buf.error(s));
      }
      this.#insertChunk(info.id);
      // The newest row of the batch (the last to arrive among equal timestamps), as with one row per sample.
      const s = slots[slots.length - 1]!;
      this.#upsertLast.run(info.id, buf.ts(s), buf.num(s), buf.txt(s), buf.quality(s), buf.error(s));
      slots.length = 0;
    }
  }

  #insertChunk(pointId: number): void {
    const chunk = this.#chunk;
    if (chunk.size === 0) return;
    this.#insertChunkStmt.run(pointId, chunk.first, chunk.last, chunk.size, chunk.encode());
    chunk.reset();
  }

  /** The interned point, created on first sight; its kind follows the latest non-null value. */
  #point(name: string, kind: number): PointInfo {
    let info = this.#points.get(name);
    if (info === undefined) {
      const row = this.#selectPoint.get(name);
      if (row) {
        info = { id: row.id, kind: row.kind, slots: [] };
      } else {
        const id = Number(this.#insertPoint.run(name, kind).lastInsertRowid);
        info = { id, kind, slots: [] };
      }
      this.#points.set(name, info);
    }
    if (kind !== KIND_NONE && kind !== info.kind) {
      this.#updateKind.run(kind, info.id);
      info.kind = kind;
    }
    return info;
  }
}

function inTimeOrder(buf: ReadingBuffer, slots: readonly number[]): boolean {
  for (let k = 1; k < slots.length; k++) if (buf.ts(slots[k]!) < buf.ts(slots[k - 1]!)) return false;
  return true;
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? Math.trunc(value) : fallback;
}
