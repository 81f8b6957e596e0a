import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { ManualClock } from "../../src/core/clock.js";
import { isLosError } from "../../src/core/errors.js";
import type { Reading } from "../../src/core/types.js";
import { openStore, type Store } from "../../src/store/store.js";
import { HISTORY_MIGRATIONS } from "../../src/store/history-migrations.js";
import { migrate } from "../../src/store/migrations.js";
import { openDatabase } from "../../src/store/sqlite.js";
import { TelemetryRepo } from "../../src/store/telemetry-repo.js";
import { silentLogger } from "../../src/core/types.js";
import { num, tempDir } from "./helpers.js";

describe("telemetry", () => {
  let t: ReturnType<typeof tempDir>;
  let clock: ManualClock;
  let store: Store;
  const T0 = Date.UTC(2026, 0, 1);

  beforeEach(() => {
    t = tempDir();
    clock = new ManualClock(T0);
    store = openStore({ dataDir: t.dir, clock, retention: false, telemetry: { flushRows: 100, flushMs: 500 } });
  });
  afterEach(async () => {
    await store.close();
    t.cleanup();
  });

  it("buffers appends and flushes when flushRows is reached", () => {
    const rows = Array.from({ length: 99 }, (_, i) => num("d/a", T0 + i, i));
    store.telemetry.append(rows);
    expect(store.telemetry.sampleCount()).toBe(0);
    expect(store.telemetry.stats()).toMatchObject({ appended: 99, buffered: 99, written: 0 });
    store.telemetry.append([num("d/a", T0 + 99, 99)]);
    expect(store.telemetry.sampleCount()).toBe(100);
    expect(store.telemetry.stats()).toMatchObject({ appended: 100, buffered: 0, written: 100, flushes: 1 });
  });

  it("flushes every flushMs on the clock", () => {
    store.telemetry.append([num("d/a", T0, 1)]);
    clock.advance(499);
    expect(store.telemetry.sampleCount()).toBe(0);
    clock.advance(1);
    expect(store.telemetry.sampleCount()).toBe(1);
    expect(clock.pendingTimers()).toBe(0); // nothing buffered: no timer left behind
  });

  it("flushes on flush() and on close()", async () => {
    store.telemetry.append([num("d/a", T0, 1), num("d/b", T0, 2)]);
    expect(store.telemetry.flush()).toBe(2);
    expect(store.telemetry.flush()).toBe(0);
    store.telemetry.append([num("d/a", T0 + 1, 3)]);
    await store.close();
    const again = openStore({ dataDir: t.dir, clock, retention: false });
    expect(again.telemetry.sampleCount()).toBe(3);
    expect(again.telemetry.last("d/a")).toEqual(num("d/a", T0 + 1, 3));
    await again.close();
    expect(() => store.telemetry.append([num("d/a", T0, 1)])).toThrow(/closed/);
  });

  it("last and lastAll return the newest reading per point, by timestamp", () => {
    store.telemetry.append([
      num("boiler/temp", T0 + 10, 20),
      num("boiler/temp", T0 + 30, 22),
      num("boiler/temp", T0 + 20, 21), // out of order in the same batch
      num("boiler/pressure", T0 + 5, 1.5),
      num("pump/speed", T0 + 7, 900),
    ]);
    store.telemetry.flush();
    store.telemetry.append([num("boiler/temp", T0 + 25, 99)]); // older than what is stored: not the last
    store.telemetry.flush();
    expect(store.telemetry.last("boiler/temp")).toEqual(num("boiler/temp", T0 + 30, 22));
    expect(store.telemetry.last("nope")).toBeUndefined();
    expect(store.telemetry.lastAll("boiler/")).toEqual([num("boiler/pressure", T0 + 5, 1.5), num("boiler/temp", T0 + 30, 22)]);
    expect(store.telemetry.lastAll().map((r) => r.point)).toEqual(["boiler/pressure", "boiler/temp", "pump/speed"]);
    expect(store.telemetry.lastAll("boiler_")).toEqual([]); // prefix is literal, not a LIKE pattern
  });

  it("range honours since (inclusive), until (exclusive), limit and order", () => {
    store.telemetry.append(Array.from({ length: 20 }, (_, i) => num("d/a", T0 + i * 10, i)));
    store.telemetry.append([num("d/b", T0 + 50, 1000)]);
    store.telemetry.flush();
    const r = store.telemetry.range("d/a", { since: T0 + 50, until: T0 + 100 });
    expect(r.map((x) => x.value)).toEqual([5, 6, 7, 8, 9]);
    expect(r[0]).toEqual(num("d/a", T0 + 50, 5));
    expect(store.telemetry.range("d/a", { since: T0 + 50, limit: 2 }).map((x) => x.value)).toEqual([5, 6]);
    expect(store.telemetry.range("d/a", { until: T0 + 100, limit: 2, order: "desc" }).map((x) => x.value)).toEqual([9, 8]);
    expect(store.telemetry.range("d/a").length).toBe(20);
    expect(store.telemetry.range("missing")).toEqual([]);
    expect(() => store.telemetry.range("d/a", { since: 10, until: 5 })).toThrow(expect.objectContaining({ code: "LOS_E_STORE_QUERY" }));
    expect(() => store.telemetry.range("d/a", { limit: 0 })).toThrow(expect.objectContaining({ code: "LOS_E_STORE_QUERY" }));
  });

  it("downsample gives exact min/max/avg/count per epoch-aligned bucket", () => {
    const B = 60_000;
    const start = T0; // T0 is a multiple of 60 s
    const values: [number, number][] = [
      [start + 0, 10],
      [start + 1_000, 20],
      [start + 59_999, 30], // bucket 0: min 10, max 30, avg 20, count 3
      [start + 60_000, -5], // bucket 1: single value
      [start + 180_500, 4],
      [start + 181_000, 5], // bucket 3 (bucket 2 empty): min 4, max 5, avg 4.5
    ];
    store.telemetry.append(values.map(([ts, v]) => num("d/x", ts, v)));
    store.telemetry.append([{ point: "d/x", ts: start + 2_000, value: null, quality: "bad", error: "LOS_E_DEVICE_TIMEOUT" }]);
    store.telemetry.flush();
    expect(store.telemetry.downsample("d/x", { bucketMs: B })).toEqual([
      { ts: start, min: 10, max: 30, avg: 20, count: 3 },
      { ts: start + 60_000, min: -5, max: -5, avg: -5, count: 1 },
      { ts: start + 180_000, min: 4, max: 5, avg: 4.5, count: 2 },
    ]);
    // since/until cut rows, not buckets: the first bucket keeps only the rows at or after since.
    expect(store.telemetry.downsample("d/x", { since: start + 1_000, until: start + 60_001, bucketMs: B })).toEqual([
      { ts: start, min: 20, max: 30, avg: 25, count: 2 },
      { ts: start + 60_000, min: -5, max: -5, avg: -5, count: 1 },
    ]);
    expect(() => store.telemetry.downsample("d/x", { bucketMs: 0 })).toThrow(expect.objectContaining({ code: "LOS_E_STORE_QUERY" }));
    expect(() => store.telemetry.downsample("d/x", { bucketMs: 1.5 })).toThrow(expect.objectContaining({ code: "LOS_E_STORE_QUERY" }));
  });

  it("keeps booleans, strings, nulls, quality and error codes", () => {
    const readings: Reading[] = [
      { point: "d/run", ts: T0, value: true, quality: "good" },
      { point: "d/run", ts: T0 + 1, value: false, quality: "uncertain" },
      { point: "d/mode", ts: T0, value: "auto", quality: "good" },
      { point: "d/mode", ts: T0 + 1, value: "", quality: "good" },
      { point: "d/temp", ts: T0, value: null, quality: "bad", error: "LOS_E_DEVICE_TIMEOUT" },
      { point: "d/temp", ts: T0 + 1, value: 0, quality: "good" },
    ];
    store.telemetry.append(readings);
    store.telemetry.flush();
    expect(store.telemetry.range("d/run")).toEqual(readings.slice(0, 2));
    expect(store.telemetry.range("d/mode")).toEqual(readings.slice(2, 4));
    expect(store.telemetry.range("d/temp")).toEqual(readings.slice(4, 6));
    expect(store.telemetry.last("d/run")).toEqual(readings[1]);
    expect(store.telemetry.points()).toEqual([
      { name: "d/mode", kind: "string" },
      { name: "d/run", kind: "boolean" },
      { name: "d/temp", kind: "number" },
    ]);
    // a boolean point averages to its duty ratio
    expect(store.telemetry.downsample("d/run", { bucketMs: 1000 })).toEqual([{ ts: T0, min: 0, max: 1, avg: 0.5, count: 2 }]);
    expect(store.telemetry.downsample("d/mode", { bucketMs: 1000 })).toEqual([]);
  });

  it("interned point ids survive reopening (no duplicate points)", async () => {
    store.telemetry.append([num("d/a", T0, 1)]);
    await store.close();
    store = openStore({ dataDir: t.dir, clock, retention: false });
    store.telemetry.append([num("d/a", T0 + 1, 2)]);
    store.telemetry.flush();
    expect(store.telemetry.points()).toEqual([{ name: "d/a", kind: "number" }]);
    expect(store.telemetry.range("d/a").map((r) => r.value)).toEqual([1, 2]);
  });
});

describe("telemetry writer page cache", () => {
  let t: ReturnType<typeof tempDir>;
  afterEach(() => t.cleanup());

  it("sizes the connection's page cache to the points it knows, within 2 and 64 MiB", () => {
    t = tempDir();
    const db = openDatabase(join(t.dir, "history.db"), { synchronous: "NORMAL", autoVacuum: "INCREMENTAL" });
    migrate(db, HISTORY_MIGRATIONS, "history.db");
    const repo = new TelemetryRepo(db, new ManualClock(0), silentLogger, { flushRows: 100_000, cacheKiBPerPoint: 8 });
    const cache = () => Number(db.pragma("cache_size", { simple: true }));
    const points = (n: number) => Array.from({ length: n }, (_, i) => num(`d/p${i}`, 1, i));
    repo.append(points(10));
    repo.flush();
    expect(repo.cacheKiB).toBe(2048);
    expect(cache()).toBe(-2048);
    repo.append(points(2000));
    repo.flush();
    expect(repo.cacheKiB).toBe(16_000);
    expect(cache()).toBe(-16_000);
    repo.append(points(9000));
    repo.flush();
    expect(cache()).toBe(-65_536);
    repo.close();
    db.close();
  });
});

describe("telemetry writer under a failing disk", () => {
  let t: ReturnType<typeof tempDir>;
  afterEach(() => t.cleanup());

  it("keeps rows on a failed flush, caps the buffer keeping the newest, retries on the timer", () => {
    t = tempDir();
    const path = join(t.dir, "history.db");
    const clock = new ManualClock();
    const db = openDatabase(path, { synchronous: "NORMAL", autoVacuum: "INCREMENTAL", busyTimeoutMs: 0 });
    migrate(db, HISTORY_MIGRATIONS, "history.db");
    const repo = new TelemetryRepo(db, clock, silentLogger, { flushRows: 50, flushMs: 500, maxBufferRows: 100 });

    // Another connection holds the write lock: every flush fails with SQLITE_BUSY, like a stuck disk.
    const locker = new Database(path);
    locker.exec("BEGIN IMMEDIATE");

    const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => num("d/a", from + i, from + i));
    expect(() => repo.append(rows(0, 60))).not.toThrow(); // size-triggered flush fails quietly
    expect(repo.stats()).toMatchObject({ failedFlushes: 1, buffered: 60, written: 0, dropped: 0 });
    expect(repo.stats().lastError?.code).toBe("LOS_E_STORE_WRITE");
    let err: unknown;
    try {
      repo.flush();
    } catch (e) {
      err = e;
    }
    expect(isLosError(err, "LOS_E_STORE_WRITE")).toBe(true);
    repo.append(rows(60, 190)); // 250 in total, cap 100
    expect(repo.stats()).toMatchObject({ appended: 250, buffered: 100, dropped: 150 });
    expect(() => clock.advance(500)).not.toThrow(); // timer flush fails quietly too
    expect(repo.stats().failedFlushes).toBeGreaterThanOrEqual(3);

    locker.exec("ROLLBACK");
    locker.close();
    clock.advance(500); // the retry timer writes the buffer
    expect(repo.stats()).toMatchObject({ buffered: 0, written: 100, dropped: 150 });
    const stored = repo.range("d/a");
    expect(stored.length).toBe(100);
    expect(stored[0]!.value).toBe(150); // the newest rows were kept
    expect(stored[99]!.value).toBe(249);
    expect(repo.last("d/a")?.value).toBe(249);
    repo.close();
    db.close();
  });
});

describe("telemetry writer page cache default", () => {
  it("is 1 KiB per known point, at least 2 MiB", () => {
    const t = tempDir();
    try {
      const db = openDatabase(join(t.dir, "history.db"), { synchronous: "NORMAL", autoVacuum: "INCREMENTAL" });
      migrate(db, HISTORY_MIGRATIONS, "history.db");
      const repo = new TelemetryRepo(db, new ManualClock(0), silentLogger);
      repo.append(Array.from({ length: 3000 }, (_, i) => num(`d/p${i}`, 1, i)));
      repo.flush();
      expect(repo.cacheKiB).toBe(3000);
      repo.close();
      db.close();
    } finally {
      t.cleanup();
    }
  });
});
