/**
 * Read side of history.db: latest values, raw ranges and time-bucketed aggregates. Works on the
 * writer's connection and on a read-only one. Sees committed rows only: rows still in the writer's
 * buffer (at most `flushMs` old) appear after the next flush.
 */
import type { Statement } from "better-sqlite3";
import { LosError } from "../core/errors.js";
import type { Reading } from "../core/types.js";
import { rowToReading, type SampleRow } from "./telemetry-codec.js";
import type { Db } from "./sqlite.js";

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

type SampleCols = Omit<SampleRow, "name" | "kind">;

export class TelemetryQueries {
  #db: Db;
  #stmts = new Map<string, Statement>();

  constructor(db: Db) {
    this.#db = db;
  }

  /** The latest reading of a point, or undefined if it was never written. */
  last(point: string): Reading | undefined {
    const row = this.#stmt(
      `SELECT p.name, p.kind, l.ts, l.num, l.txt, l.quality, l.error
       FROM points p JOIN last_values l ON l.point_id = p.id WHERE p.name = ?`,
    ).get(point) as SampleRow | undefined;
    return row === undefined ? undefined : rowToReading(row);
  }

  /** The latest reading of every point whose name starts with `prefix` (all points if omitted), by name. */
  lastAll(prefix = ""): Reading[] {
    const rows = this.#stmt(
      `SELECT p.name, p.kind, l.ts, l.num, l.txt, l.quality, l.error
       FROM points p JOIN last_values l ON l.point_id = p.id
       WHERE substr(p.name, 1, length(@prefix)) = @prefix ORDER BY p.name`,
    ).all({ prefix }) as SampleRow[];
    return rows.map(rowToReading);
  }

  /** Raw readings of one point in [since, until). */
  range(point: string, query: RangeQuery = {}): Reading[] {
    const { since, until } = bounds(query.since, query.until);
    const limit = query.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new LosError("LOS_E_STORE_QUERY", `limit must be an integer in 1..${MAX_LIMIT}, got ${limit}`, { details: { limit } });
    }
    const p = this.#pointRow(point);
    if (p === undefined) return [];
    const order = query.order === "desc" ? "DESC" : "ASC";
    const rows = this.#stmt(
      `SELECT ts, num, txt, quality, error FROM samples
       WHERE point_id = ? AND ts >= ? AND ts < ? ORDER BY ts ${order}, rowid ${order} LIMIT ?`,
    ).all(p.id, since, until, limit) as SampleCols[];
    return rows.map((r) => rowToReading({ ...r, name: point, kind: p.kind }));
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
    // Bound numbers arrive as REAL: CAST keeps the bucket arithmetic in integers.
    return this.#stmt(
      `SELECT (ts - (((ts % CAST(@b AS INTEGER)) + CAST(@b AS INTEGER)) % CAST(@b AS INTEGER))) AS ts,
              min(num) AS min, max(num) AS max, avg(num) AS avg, count(num) AS count
       FROM samples
       WHERE point_id = @id AND ts >= @since AND ts < @until AND num IS NOT NULL
       GROUP BY 1 ORDER BY 1`,
    ).all({ b: bucketMs, id: p.id, since, until }) as Bucket[];
  }

  /** Every known point and its value kind, by name. */
  points(prefix = ""): PointSummary[] {
    const rows = this.#stmt(
      "SELECT name, kind FROM points WHERE substr(name, 1, length(@prefix)) = @prefix ORDER BY name",
    ).all({ prefix }) as { name: string; kind: number }[];
    return rows.map((r) => ({ name: r.name, kind: KIND_NAMES[r.kind] ?? "none" }));
  }

  /** Number of stored samples (a full count: for tests, tools and the CLI, not hot paths). */
  sampleCount(): number {
    return (this.#stmt("SELECT count(*) AS n FROM samples").get() as { n: number }).n;
  }

  #pointRow(point: string): { id: number; kind: number } | undefined {
    return this.#stmt("SELECT id, kind FROM points WHERE name = ?").get(point) as { id: number; kind: number } | undefined;
  }

  #stmt(sql: string): Statement {
    let s = this.#stmts.get(sql);
    if (s === undefined) {
      s = this.#db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
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
