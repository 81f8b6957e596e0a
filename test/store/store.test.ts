import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { isLosError } from "../../src/core/errors.js";
import { openStore, openStoreReadOnly } from "../../src/store/store.js";
import { num, tempDir } from "./helpers.js";

describe("store", () => {
  let t: ReturnType<typeof tempDir>;
  const clock = new ManualClock();
  beforeEach(() => {
    t = tempDir();
  });
  afterEach(() => t.cleanup());

  it("creates the data dir (0700) and both files with their pragmas", async () => {
    const dataDir = join(t.dir, "nested", "data");
    const store = openStore({ dataDir, clock, retention: false });
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    await store.close();
    const pragmas = (file: string) => {
      const db = new Database(join(dataDir, file), { readonly: true });
      const out = {
        journal: db.pragma("journal_mode", { simple: true }),
        autoVacuum: db.pragma("auto_vacuum", { simple: true }),
        version: db.pragma("user_version", { simple: true }),
      };
      db.close();
      return out;
    };
    expect(pragmas("state.db")).toEqual({ journal: "wal", autoVacuum: 0, version: 3 }); // v2: agents, v3: tasks and coordination
    expect(pragmas("history.db")).toEqual({ journal: "wal", autoVacuum: 2, version: 2 }); // 2 = INCREMENTAL; v2: chunks
  });

  it("serves a read-only reader while the writer is open, and after it closed", async () => {
    const store = openStore({ dataDir: t.dir, clock, retention: false });
    store.telemetry.append([num("d/a", 1000, 1)]);
    store.telemetry.flush();
    store.audit.record({ ts: 1000, actor: { kind: "system", id: "test" }, point: "d/b", value: 1, reason: "r", outcome: "accepted" });

    const reader = openStoreReadOnly(t.dir);
    expect(reader.telemetry.last("d/a")).toEqual(num("d/a", 1000, 1));
    expect(reader.audit.count()).toBe(1);

    // The writer keeps writing while the reader is open; the reader's next query sees the new rows.
    store.telemetry.append([num("d/a", 2000, 2)]);
    store.telemetry.flush();
    store.audit.record({ ts: 2000, actor: { kind: "system", id: "test" }, point: "d/b", value: 2, reason: "r", outcome: "accepted" });
    expect(reader.telemetry.range("d/a").map((r) => r.value)).toEqual([1, 2]);
    expect(reader.audit.list().map((r) => r.value)).toEqual([2, 1]);
    expect(() => (reader.audit as unknown as { record: (e: unknown) => void }).record({
      ts: 1, actor: { kind: "system", id: "x" }, point: "p", value: 1, reason: "r", outcome: "accepted",
    })).toThrow(/readonly/i);

    await store.close();
    expect(reader.telemetry.last("d/a")?.value).toBe(2);
    reader.close();

    const later = openStoreReadOnly(t.dir);
    expect(later.telemetry.sampleCount()).toBe(2);
    later.close();
  });

  it("read-only open of a missing store is LOS_E_STORE_OPEN", () => {
    let err: unknown;
    try {
      openStoreReadOnly(join(t.dir, "nothing"));
    } catch (e) {
      err = e;
    }
    expect(isLosError(err, "LOS_E_STORE_OPEN")).toBe(true);
  });

  it("refuses a history.db written by newer code", async () => {
    const store = openStore({ dataDir: t.dir, clock, retention: false });
    await store.close();
    const db = new Database(join(t.dir, "history.db"));
    db.pragma("user_version = 99");
    db.close();
    expect(() => openStore({ dataDir: t.dir, clock, retention: false })).toThrow(expect.objectContaining({ code: "LOS_E_STORE_VERSION" }));
    expect(() => openStoreReadOnly(t.dir)).toThrow(expect.objectContaining({ code: "LOS_E_STORE_VERSION" }));
  });

  it("close is idempotent and leaves no timers", async () => {
    const c = new ManualClock();
    const store = openStore({ dataDir: t.dir, clock: c });
    store.telemetry.append([num("d/a", 1, 1)]);
    expect(c.pendingTimers()).toBe(2); // flush + retention
    const first = store.close();
    expect(store.close()).toBe(first);
    await first;
    expect(c.pendingTimers()).toBe(0);
    expect(existsSync(join(t.dir, "history.db"))).toBe(true);
  });
});
