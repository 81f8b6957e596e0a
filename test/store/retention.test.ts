import { statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import type { Reading } from "../../src/core/types.js";
import { openStore, type Store } from "../../src/store/store.js";
import { num, tempDir } from "./helpers.js";

const DAY = 24 * 3600 * 1000;

describe("retention", () => {
  let t: ReturnType<typeof tempDir>;
  let clock: ManualClock;
  let store: Store | undefined;
  beforeEach(() => {
    t = tempDir();
    clock = new ManualClock(Date.UTC(2026, 0, 10));
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    t.cleanup();
  });

  it("deletes samples older than maxAgeMs, in chunks, for every point", async () => {
    store = openStore({ dataDir: t.dir, clock, retention: { maxAgeMs: 2 * DAY, chunkRows: 7, intervalMs: 3_600_000 } });
    const now = clock.now();
    const rows: Reading[] = [];
    for (let p = 0; p < 5; p++) {
      for (let h = 0; h < 96; h++) rows.push(num(`dev/p${p}`, now - h * 3_600_000, h)); // 4 days, hourly
    }
    store.telemetry.append(rows);
    store.telemetry.flush();
    const run = await store.retention.runOnce();
    // Ages 0..48 h are kept (ts >= now - 48 h), 49..95 h go: 47 per point.
    expect(run.deletedByAge).toBe(5 * 47);
    expect(run.deletedBySize).toBe(0);
    expect(store.telemetry.sampleCount()).toBe(5 * 49);
    for (let p = 0; p < 5; p++) {
      const r = store.telemetry.range(`dev/p${p}`);
      expect(r.length).toBe(49);
      expect(r[0]!.ts).toBe(now - 48 * 3_600_000);
    }
    expect(store.telemetry.last("dev/p0")?.ts).toBe(now);
    expect(store.retention.stats()).toMatchObject({ runs: 1, failedRuns: 0, deletedByAge: 235, deletedBySize: 0 });
    expect((await store.retention.runOnce()).deletedByAge).toBe(0);
  });

  it("runs periodically on the clock", async () => {
    store = openStore({ dataDir: t.dir, clock, retention: { maxAgeMs: DAY, intervalMs: 60_000 } });
    store.telemetry.append([num("d/a", clock.now() - 2 * DAY, 1), num("d/a", clock.now(), 2)]);
    store.telemetry.flush();
    clock.advance(59_999);
    expect(store.retention.stats().runs).toBe(0);
    clock.advance(1); // starts a run
    await store.retention.runOnce(); // joins the run under way
    expect(store.retention.stats()).toMatchObject({ runs: 1, deletedByAge: 1 });
    expect(store.telemetry.sampleCount()).toBe(1);
    clock.advance(60_000);
    await store.retention.runOnce();
    expect(store.retention.stats().runs).toBeGreaterThanOrEqual(2);
  });

  it("deletes the oldest samples until the file is under maxBytes, and gives pages back", async () => {
    store = openStore({ dataDir: t.dir, clock, retention: { intervalMs: 3_600_000, chunkRows: 500 }, telemetry: { flushRows: 10_000 } });
    const start = clock.now() - 40_000;
    const note = "x".repeat(40);
    for (let i = 0; i < 40_000; i += 1000) {
      store.telemetry.append(
        Array.from({ length: 1000 }, (_, k): Reading => ({ point: `d/s${k % 10}`, ts: start + i + k, value: `${note}${i + k}`, quality: "good" })),
      );
    }
    store.telemetry.flush();
    const before = store.retention.size();
    expect(before.bytes).toBeGreaterThan(2_000_000);
    const maxBytes = Math.floor(before.bytes / 2);
    // Re-open with a size limit (closing checkpoints the WAL into the file).
    await store.close();
    store = openStore({ dataDir: t.dir, clock, retention: { maxBytes, intervalMs: 3_600_000, chunkRows: 500 } });
    const fileBefore = statSync(join(t.dir, "history.db")).size;
    expect(fileBefore).toBe(before.bytes);
    const run = await store.retention.runOnce();
    const after = store.retention.size();
    expect(run.deletedBySize).toBeGreaterThan(0);
    expect(run.pagesFreed).toBeGreaterThan(0);
    expect(after.bytes).toBeLessThanOrEqual(maxBytes);
    expect(after.bytes).toBeLessThan(before.bytes);
    expect(after.freeBytes).toBe(0);
    expect(statSync(join(t.dir, "history.db")).size).toBeLessThan(fileBefore);
    // The oldest written went first, by whole chunks (one per point per flush: 1000 samples here):
    // what is left of every point is a contiguous newest tail of what it was sent.
    const remaining = store.telemetry.sampleCount();
    expect(remaining).toBe(40_000 - run.deletedBySize);
    expect(run.deletedBySize % 1000).toBe(0);
    const lost: number[] = [];
    for (let k = 0; k < 10; k++) {
      const sent = Array.from({ length: 4000 }, (_, j) => start + k + 10 * j);
      const kept = store.telemetry.range(`d/s${k}`).map((r) => r.ts);
      expect(kept).toEqual(sent.slice(sent.length - kept.length));
      lost.push(4000 - kept.length);
    }
    expect(lost.reduce((a, b) => a + b, 0)).toBe(run.deletedBySize);
    // chunks of one flush are written point by point: an earlier point never keeps more than a later one
    for (let k = 1; k < 10; k++) expect(lost[k - 1]!).toBeGreaterThanOrEqual(lost[k]!);
    expect(store.telemetry.last("d/s9")?.ts).toBe(start + 39_999);
    expect(store.retention.stats().deletedBySize).toBe(run.deletedBySize);
  });
});
