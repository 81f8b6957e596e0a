import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import type { Reading } from "../../src/core/types.js";
import { HISTORY_MIGRATIONS } from "../../src/store/history-migrations.js";
import { migrate, schemaVersion } from "../../src/store/migrations.js";
import { openDatabase, type Db } from "../../src/store/sqlite.js";
import { openStore, openStoreReadOnly, type Store } from "../../src/store/store.js";
import { CHUNK_MAX_SAMPLES, CHUNK_MAX_SPAN_MS } from "../../src/store/telemetry-chunk.js";
import type { RangeQuery } from "../../src/store/telemetry-queries.js";
import { num, tempDir } from "./helpers.js";

const T0 = Date.UTC(2026, 0, 1);
const DAY = 24 * 3600 * 1000;

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What range() promised with one row per sample: time order, ties in write order; desc reverses both. */
function expectedRange(written: readonly Reading[], q: RangeQuery): Reading[] {
  const since = q.since ?? -Infinity;
  const until = q.until ?? Infinity;
  const rows = written.map((r, i) => ({ r, i })).filter(({ r }) => r.ts >= since && r.ts < until);
  rows.sort((a, b) => a.r.ts - b.r.ts || a.i - b.i);
  if (q.order === "desc") rows.reverse();
  return rows.slice(0, q.limit ?? 10_000).map(({ r }) => r);
}

function expectedBuckets(written: readonly Reading[], bucketMs: number, since = -Infinity, until = Infinity) {
  const m = new Map<number, number[]>();
  for (const r of written) {
    if (r.ts < since || r.ts >= until) continue;
    const v = typeof r.value === "boolean" ? Number(r.value) : r.value;
    if (typeof v !== "number") continue;
    const b = r.ts - (((r.ts % bucketMs) + bucketMs) % bucketMs);
    m.set(b, [...(m.get(b) ?? []), v]);
  }
  return [...m.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([ts, vs]) => ({ ts, min: Math.min(...vs), max: Math.max(...vs), avg: vs.reduce((a, b) => a + b, 0) / vs.length, count: vs.length }));
}

describe("history chunks", () => {
  let t: ReturnType<typeof tempDir>;
  let clock: ManualClock;
  let store: Store | undefined;
  beforeEach(() => {
    t = tempDir();
    clock = new ManualClock(T0 + 10 * DAY);
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    t.cleanup();
  });

  it("range and downsample on packed data equal the one-row-per-sample results", () => {
    store = openStore({ dataDir: t.dir, clock, retention: false, telemetry: { flushRows: 1_000_000 } });
    const rand = rng(7);
    const written: Reading[] = [];
    // 8 flushes of 700 readings over ±3 min: out of order, equal timestamps, chunks overlapping across flushes,
    // spans over 60 s and more than CHUNK_MAX_SAMPLES samples of one point in one flush.
    for (let f = 0; f < 8; f++) {
      const batch: Reading[] = [];
      const count = f === 3 ? CHUNK_MAX_SAMPLES + 300 : 700;
      for (let k = 0; k < count; k++) {
        const ts = T0 + f * 20_000 + Math.floor(rand() * 180_000) - (k % 50 === 0 ? 90_000 : 0);
        const x = rand();
        const r: Reading =
          x < 0.8
            ? num("q/a", ts, Math.round(rand() * 1000) / 10)
            : x < 0.9
              ? { point: "q/a", ts, value: null, quality: "bad", error: "LOS_E_DEVICE_TIMEOUT" }
              : { point: "q/a", ts, value: Math.floor(rand() * 5), quality: "uncertain" };
        batch.push(r);
      }
      written.push(...batch);
      store.telemetry.append(batch);
      store.telemetry.flush();
    }
    expect(store.telemetry.sampleCount()).toBe(written.length);
    expect(store.telemetry.stats().written).toBe(written.length);
    expect(store.telemetry.range("q/a", { limit: 1_000_000 })).toEqual(expectedRange(written, { limit: 1_000_000 }));
    for (let i = 0; i < 60; i++) {
      const since = T0 - 100_000 + Math.floor(rand() * 400_000);
      const q: RangeQuery = {
        since: rand() < 0.2 ? undefined : since,
        until: rand() < 0.2 ? undefined : since + Math.floor(rand() * 200_000),
        limit: 1 + Math.floor(rand() * 400),
        order: rand() < 0.5 ? "desc" : "asc",
      };
      expect(store.telemetry.range("q/a", q), JSON.stringify(q)).toEqual(expectedRange(written, q));
    }
    for (const bucketMs of [1, 7_000, 60_000, 3_600_000]) {
      const got = store.telemetry.downsample("q/a", { bucketMs, since: T0 + 5_000, until: T0 + 150_000 });
      const want = expectedBuckets(written, bucketMs, T0 + 5_000, T0 + 150_000);
      expect(got.map((b) => [b.ts, b.min, b.max, b.count])).toEqual(want.map((b) => [b.ts, b.min, b.max, b.count]));
      got.forEach((b, i) => expect(b.avg).toBeCloseTo(want[i]!.avg, 9));
    }
    const last = expectedRange(written, { order: "desc", limit: 1 })[0];
    expect(store.telemetry.last("q/a")).toEqual(last);
  });

  it("keeps strings (empty and multi-byte), fractional timestamps, errors and qualities losslessly", () => {
    store = openStore({ dataDir: t.dir, clock, retention: false });
    const readings: Reading[] = [
      { point: "d/s", ts: T0, value: "", quality: "good" },
      { point: "d/s", ts: T0 + 0.5, value: "größe €", quality: "uncertain", error: "LOS_E_DEVICE_DECODE" },
      { point: "d/s", ts: T0 + 1, value: null, quality: "bad", error: "" },
      { point: "d/s", ts: T0 + 2, value: "x".repeat(70_000), quality: "good" },
      { point: "d/n", ts: T0, value: -0.1, quality: "good" },
      { point: "d/n", ts: T0 + CHUNK_MAX_SPAN_MS, value: 1e300, quality: "good" }, // the widest span a chunk may hold
      { point: "d/n", ts: T0 + CHUNK_MAX_SPAN_MS + 1, value: -1e-300, quality: "good" }, // one more: a second chunk
    ];
    store.telemetry.append(readings);
    store.telemetry.flush();
    expect(store.telemetry.range("d/s")).toEqual(readings.slice(0, 4));
    expect(store.telemetry.range("d/n")).toEqual(readings.slice(4));
    expect(store.telemetry.range("d/n", { since: T0 + 1 })).toEqual(readings.slice(5));
  });

  it("age retention drops a chunk only when its newest sample is older than the cutoff", async () => {
    store = openStore({ dataDir: t.dir, clock, retention: { maxAgeMs: DAY, intervalMs: 3_600_000 } });
    const cutoff = clock.now() - DAY;
    // one chunk straddling the cutoff (10 s before to 10 s after), one entirely older
    store.telemetry.append([num("d/a", cutoff - 600_000, 1), num("d/a", cutoff - 599_000, 2)]);
    store.telemetry.flush();
    store.telemetry.append([num("d/a", cutoff - 10_000, 3), num("d/a", cutoff + 10_000, 4)]);
    store.telemetry.flush();
    let run = await store.retention.runOnce();
    expect(run.deletedByAge).toBe(2);
    expect(store.telemetry.range("d/a").map((r) => r.value)).toEqual([3, 4]); // the straddling chunk stays whole
    clock.advance(10_000); // its newest sample is now exactly at the cutoff: still kept
    run = await store.retention.runOnce();
    expect(run.deletedByAge).toBe(0);
    clock.advance(1);
    run = await store.retention.runOnce();
    expect(run.deletedByAge).toBe(2);
    expect(store.telemetry.sampleCount()).toBe(0);
    expect(store.telemetry.last("d/a")?.value).toBe(4); // last_values outlives retention
  });
});

describe("history.db migration v1 → v2", () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => {
    t = tempDir();
  });
  afterEach(() => t.cleanup());

  /** A v1 file as the v1 writer left it: points, one samples row per reading, last_values. */
  function writeV1(db: Db): void {
    migrate(db, HISTORY_MIGRATIONS.slice(0, 1), "history.db");
    const point = db.prepare("INSERT INTO points (name, kind) VALUES (?, ?)");
    const sample = db.prepare("INSERT INTO samples (point_id, ts, num, txt, quality, error) VALUES (?, ?, ?, ?, ?, ?)");
    const last = db.prepare("INSERT INTO last_values (point_id, ts, num, txt, quality, error) VALUES (?, ?, ?, ?, ?, ?)");
    db.transaction(() => {
      const temp = Number(point.run("v1/temp", 1).lastInsertRowid);
      const run = Number(point.run("v1/run", 2).lastInsertRowid);
      const mode = Number(point.run("v1/mode", 3).lastInsertRowid);
      point.run("v1/never", 0);
      const rand = rng(3);
      // 25 000 samples of one point (more than one migration page), every 100 ms, written out of order in places
      for (let i = 0; i < 25_000; i++) {
        const ts = T0 + (i % 1000 === 999 ? i - 500 : i) * 100;
        if (i % 97 === 0) sample.run(temp, ts, null, null, 2, "LOS_E_DEVICE_TIMEOUT");
        else sample.run(temp, ts, Math.round(rand() * 10_000) / 100, null, 0, null);
      }
      for (let i = 0; i < 50; i++) sample.run(run, T0 + i * 3_600_000, i % 3 === 0 ? 1 : 0, null, i % 5 === 0 ? 1 : 0, null);
      for (let i = 0; i < 20; i++) sample.run(mode, T0 + i * 1000, null, i % 2 ? "auto" : "manuel é", 0, null);
      sample.run(mode, T0 + 5000, null, "dup", 0, null); // equal timestamp, written later
      last.run(temp, T0 + 2_499_900, 1, null, 0, null);
      last.run(run, T0 + 49 * 3_600_000, 0, null, 0, null);
      last.run(mode, T0 + 19_000, null, "auto", 0, null);
    })();
  }

  /** The v1 queries, verbatim, on the v1 file. */
  function v1Range(db: Db, id: number, since: number, until: number, order: "ASC" | "DESC", limit: number) {
    return db
      .prepare(
        `SELECT ts, num, txt, quality, error FROM samples
         WHERE point_id = ? AND ts >= ? AND ts < ? ORDER BY ts ${order}, rowid ${order} LIMIT ?`,
      )
      .all(id, since, until, limit) as { ts: number; num: number | null; txt: string | null; quality: number; error: string | null }[];
  }
  function v1Downsample(db: Db, id: number, bucketMs: number) {
    return db
      .prepare(
        `SELECT (ts - (((ts % CAST(@b AS INTEGER)) + CAST(@b AS INTEGER)) % CAST(@b AS INTEGER))) AS ts,
                min(num) AS min, max(num) AS max, avg(num) AS avg, count(num) AS count
         FROM samples WHERE point_id = @id AND num IS NOT NULL GROUP BY 1 ORDER BY 1`,
      )
      .all({ b: bucketMs, id }) as { ts: number; min: number; max: number; avg: number; count: number }[];
  }

  it("moves every sample of a v1 file with data into chunks; queries answer as before", async () => {
    const path = join(t.dir, "history.db");
    const db = openDatabase(path, { synchronous: "NORMAL", autoVacuum: "INCREMENTAL" });
    writeV1(db);
    const ids = { temp: 1, run: 2, mode: 3 };
    const windows: [number, number, number, number, "ASC" | "DESC", number][] = [
      [ids.temp, -1e15, 1e15, 1, "ASC", 1_000_000],
      [ids.temp, T0 + 49_950, T0 + 150_000, 1, "ASC", 10_000],
      [ids.temp, T0 + 1_000_000, T0 + 2_000_000, 1, "DESC", 333],
      [ids.temp, T0 + 1_000_000, T0 + 2_000_000, 1, "ASC", 333],
      [ids.run, -1e15, 1e15, 2, "ASC", 1000],
      [ids.mode, -1e15, 1e15, 3, "DESC", 1000],
    ];
    const before = windows.map(([id, since, until, , order, limit]) => v1Range(db, id, since, until, order, limit));
    const buckets = { temp: v1Downsample(db, ids.temp, 60_000), run: v1Downsample(db, ids.run, DAY) };
    const count = db.prepare("SELECT count(*) FROM samples").pluck().get() as number;
    db.close();

    const store = openStore({ dataDir: t.dir, retention: false });
    try {
      expect(store.telemetry.sampleCount()).toBe(count);
      const names = ["", "v1/temp", "v1/run", "v1/mode"];
      windows.forEach(([id, since, until, kind, order, limit], i) => {
        const got = store.telemetry.range(names[id]!, { since, until, order: order === "ASC" ? "asc" : "desc", limit });
        const want = before[i]!.map((r) => {
          const reading: Reading = {
            point: names[id]!,
            value: r.txt ?? (r.num === null ? null : kind === 2 ? r.num !== 0 : r.num),
            quality: (["good", "uncertain", "bad"] as const)[r.quality]!,
            ts: r.ts,
          };
          if (r.error !== null) reading.error = r.error;
          return reading;
        });
        expect(got).toEqual(want);
      });
      const temp = store.telemetry.downsample("v1/temp", { bucketMs: 60_000 });
      expect(temp.map((b) => [b.ts, b.min, b.max, b.count])).toEqual(buckets.temp.map((b) => [b.ts, b.min, b.max, b.count]));
      temp.forEach((b, i) => expect(b.avg).toBeCloseTo(buckets.temp[i]!.avg, 9));
      expect(store.telemetry.downsample("v1/run", { bucketMs: DAY })).toEqual(buckets.run);
      expect(store.telemetry.last("v1/mode")).toEqual({ point: "v1/mode", ts: T0 + 19_000, value: "auto", quality: "good" });
      expect(store.telemetry.points().map((p) => p.name)).toEqual(["v1/mode", "v1/never", "v1/run", "v1/temp"]);
      // new writes land next to the migrated chunks
      store.telemetry.append([num("v1/temp", T0 + 3_000_000, 42)]);
      store.telemetry.flush();
      expect(store.telemetry.range("v1/temp", { order: "desc", limit: 1 })[0]?.value).toBe(42);
    } finally {
      await store.close();
    }
    const check = openDatabase(path, { synchronous: "NORMAL" });
    expect(schemaVersion(check)).toBe(2);
    const tables = check.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(["chunks", "last_values", "points"]);
    // 25 000 samples every 100 ms of one point: chunks of at most 60 s (≤ 601 samples), not one per sample
    const chunks = check.prepare("SELECT count(*) FROM chunks WHERE point_id = 1").pluck().get() as number;
    expect(chunks).toBeGreaterThanOrEqual(Math.ceil(25_000 / 601));
    expect(chunks).toBeLessThan(100);
    check.close();
    const ro = openStoreReadOnly(t.dir);
    expect(ro.telemetry.sampleCount()).toBe(count + 1);
    ro.close();
  });
});
