/**
 * Read side of history.db: latest values, raw ranges and time-bucketed aggregates (chunks are
 * unpacked here; aggregates are computed in JS). Works on the
 * writer's connection and on a read-only one. Sees committed rows only: rows still in the writer's
 * buffer (at most `flushMs` old) appear after the next flush.
 */
import { LosError } from "../core/errors.js";
import type { Reading } from "../core/types.js";
import { CHUNK_MAX_SPAN_MS, decodeChunk, type ChunkSample } from "./telemetry-chunk.js";
import { rowToReading, type SampleRow } from "./telemetry-codec.js";
import type { Db } from "./sqlite.js";
import { StatementCache } from "./statement-cache.js";

export interface RangeQuery {
  /** Inclusive lower bound (epoch ms). Default: no bound. */
  since?: number;
  /** Exclusive upper bound (epoch ms). Default: no bound. */
  until?: number;
  /** At most this many rows (default 10 000, max 1 000 000). */
  limit?: number;
  /** "asc" (default): oldest first from `since`; "desc": newest first from `until`. */
  order?: "asc" | "desc";
}

export interface DownsampleQuery {
  since?: number;
  until?: number;
  /** Bucket width (ms, integer > 0). Buckets start at multiples of bucketMs since the epoch. */
  bucketMs: number;
}

export interface Bucket {
  /** Bucket start (epoch ms). */
  ts: number;
  min: number;
  max: number;
  avg: number;
  /** Rows with a numeric value in the bucket (booleans count as 0/1, strings and nulls are skipped). */
  count: number;
}

export interface PointSummary {
  name: string;
  kind: "none" | "number" | "boolean" | "string";
}

const KIND_NAMES: readonly PointSummary["kind"][] = ["none", "number", "boolean", "string"];
const MIN_TS = Number.MIN_SAFE_INTEGER;
const MAX_TS = Number.MAX_SAFE_INTEGER;
const DEFAULT_LIMIT = 10_000;
const MAX_LIMIT = 1_000_000;

interface ChunkRow {
  rowid: number;
  ts_first: number;
  n: number;
  data: Buffer;
}

interface Hit {
  s: ChunkSample;
  rowid: number;
  i: number;
}

function compareHits(a: Hit, b: Hit): number {
  return a.s.ts - b.s.ts || a.rowid - b.rowid || a.i - b.i;
}

export class TelemetryQueries {
  readonly #sql: StatementCache;

  constructor(db: Db) {
    this.#sql = new StatementCache(db);
  }

  /** The latest reading of a point, or undefined if it was never written. */
  last(point: string): Reading | undefined {
    const row = this.#sql.get(
      `SELECT p.name, p.kind, l.ts, l.num, l.txt, l.quality, l.error
       FROM points p JOIN last_values l ON l.point_id = p.id WHERE p.name = ?`,
    ).get(point) as SampleRow | undefined;
    return row === undefined ? undefined : rowToReading(row);
  }

  /** The latest reading of every point whose name starts with `prefix` (all points if omitted), by name. */
  lastAll(prefix = ""): Reading[] {
    const rows = this.#sql.get(
      `SELECT p.name, p.kind, l.ts, l.num, l.txt, l.quality, l.error
       FROM points p JOIN last_values l ON l.point_id = p.id
       WHERE substr(p.name, 1, length(@prefix)) = @prefix ORDER BY p.name`,
    ).all({ prefix }) as SampleRow[];
    return rows.map(rowToReading);
  }

  /** Raw readings of one point in [since, until), ordered by time (then by write order). */
  range(point: string, query: RangeQuery = {}): Reading[] {
    const { since, until } = bounds(query.since, query.until);
    const limit = query.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new LosError("LOS_E_STORE_QUERY", `limit must be an integer in 1..${MAX_LIMIT}, got ${limit}`, { details: { limit } });
    }
    const p = this.#pointRow(point);
    if (p === undefined) return [];
    const desc = query.order === "desc";
    // Sort key: time, then the chunk's rowid and the position in it (write order, as rowid was in v1).
    const cmp = desc ? (a: Hit, b: Hit) => compareHits(b, a) : compareHits;
    let hits: Hit[] = [];
    let sorted = 0; // hits[0..sorted) is in order and holds at most `limit` hits
    for (const c of this.#chunks(p.id, since, until, desc)) {
      if (hits.length >= limit) {
        if (sorted !== hits.length) {
          hits.sort(cmp);
          hits.length = limit;
          sorted = limit;
        }
        // Chunks come by first timestamp; no later one can hold a sample ahead of the limit-th hit.
        const edge = hits[limit - 1]!.s.ts;
        if (desc ? edge > c.ts_first + CHUNK_MAX_SPAN_MS : edge < c.ts_first) break;
      }
      decodeChunk(c.data, c.ts_first, c.n, (s, i) => {
        if (s.ts >= since && s.ts < until) hits.push({ s, rowid: c.rowid, i });
      });
    }
    hits.sort(cmp);
    if (hits.length > limit) hits = hits.slice(0, limit);
    return hits.map((h) => rowToReading({ ...h.s, name: point, kind: p.kind }));
  }

  /** min/max/avg/count of a point's numeric values per time bucket in [since, until), oldest bucket first. */
  downsample(point: string, query: DownsampleQuery): Bucket[] {
    const { since, until } = bounds(query.since, query.until);
    const bucketMs = query.bucketMs;
    if (!Number.isSafeInteger(bucketMs) || bucketMs < 1) {
      throw new LosError("LOS_E_STORE_QUERY", `bucketMs must be a positive integer, got ${bucketMs}`, { details: { bucketMs } });
    }
    const p = this.#pointRow(point);
    if (p === undefined) return [];
    const buckets = new Map<number, Bucket & { sum: number }>();
    for (const c of this.#chunks(p.id, since, until, false)) {
      decodeChunk(c.data, c.ts_first, c.n, (s) => {
        const v = s.num;
        if (v === null || s.ts < since || s.ts >= until) return;
        const ts = s.ts - (((s.ts % bucketMs) + bucketMs) % bucketMs);
        const b = buckets.get(ts);
        if (b === undefined) {
          buckets.set(ts, { ts, min: v, max: v, avg: 0, count: 1, sum: v });
        } else {
          if (v < b.min) b.min = v;
          if (v > b.max) b.max = v;
          b.sum += v;
          b.count++;
        }
      });
    }
    return [...buckets.values()]
      .sort((a, b) => a.ts - b.ts)
      .map((b) => ({ ts: b.ts, min: b.min, max: b.max, avg: b.sum / b.count, count: b.count }));
  }

  /** Every known point and its value kind, by name. */
  points(prefix = ""): PointSummary[] {
    const rows = this.#sql.get(
      "SELECT name, kind FROM points WHERE substr(name, 1, length(@prefix)) = @prefix ORDER BY name",
    ).all({ prefix }) as { name: string; kind: number }[];
    return rows.map((r) => ({ name: r.name, kind: KIND_NAMES[r.kind] ?? "none" }));
  }

  /** Number of stored samples (reads every chunk row: for tests, tools and the CLI, not hot paths). */
  sampleCount(): number {
    return (this.#sql.get("SELECT coalesce(sum(n), 0) AS n FROM chunks").get() as { n: number }).n;
  }

  /**
   * Chunks of a point that may hold samples in [since, until), by first timestamp (ties by rowid).
   * A chunk spans at most CHUNK_MAX_SPAN_MS, so seeking from since - span finds those straddling since.
   */
  #chunks(pointId: number, since: number, until: number, desc: boolean): IterableIterator<ChunkRow> {
    const order = desc ? "DESC" : "ASC";
    return this.#sql.get(
      `SELECT rowid, ts_first, n, data FROM chunks
       WHERE point_id = ? AND ts_first >= ? AND ts_first < ? AND ts_last >= ?
       ORDER BY ts_first ${order}, rowid ${order}`,
    ).iterate(pointId, since - CHUNK_MAX_SPAN_MS, until, since) as IterableIterator<ChunkRow>;
  }

  #pointRow(point: string): { id: number; kind: number } | undefined {
    return this.#sql.get("SELECT id, kind FROM points WHERE name = ?").get(point) as { id: number; kind: number } | undefined;
  }

}

function bounds(since: number | undefined, until: number | undefined): { since: number; until: number } {
  const s = since ?? MIN_TS;
  const u = until ?? MAX_TS;
  if (!Number.isFinite(s) || !Number.isFinite(u) || s > u) {
    throw new LosError("LOS_E_STORE_QUERY", `invalid time range [${since}, ${until})`, { details: { since, until } });
  }
  return { since: s, until: u };
}
