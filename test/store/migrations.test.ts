import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isLosError } from "../../src/core/errors.js";
import { migrate, schemaVersion, type Migration } from "../../src/store/migrations.js";
import { openDatabase, openDatabaseReadOnly, type Db } from "../../src/store/sqlite.js";
import { tempDir } from "./helpers.js";

const base: Migration[] = [
  { version: 1, name: "a", up: (db) => db.exec("CREATE TABLE a (x INTEGER)") },
  { version: 2, name: "b", up: (db) => db.exec("CREATE TABLE b (y TEXT)") },
];

function tables(db: Db): string[] {
  return db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
}

describe("migrations", () => {
  let t: ReturnType<typeof tempDir>;
  let path: string;
  beforeEach(() => {
    t = tempDir();
    path = join(t.dir, "m.db");
  });
  afterEach(() => t.cleanup());

  it("migrates a fresh database to the latest version", () => {
    const db = openDatabase(path, { synchronous: "FULL" });
    expect(migrate(db, base, "m.db")).toEqual({ from: 0, to: 2, applied: [1, 2] });
    expect(schemaVersion(db)).toBe(2);
    expect(tables(db)).toEqual(["a", "b"]);
    db.close();
  });

  it("re-opening applies nothing, and later migrations only", () => {
    let db = openDatabase(path, { synchronous: "FULL" });
    migrate(db, base.slice(0, 1), "m.db");
    db.close();
    db = openDatabase(path, { synchronous: "FULL" });
    expect(migrate(db, base, "m.db")).toEqual({ from: 1, to: 2, applied: [2] });
    db.close();
    db = openDatabase(path, { synchronous: "FULL" });
    expect(migrate(db, base, "m.db")).toEqual({ from: 2, to: 2, applied: [] });
    db.close();
  });

  it("refuses a database newer than the code", () => {
    const db = openDatabase(path, { synchronous: "FULL" });
    migrate(db, base, "m.db");
    let err: unknown;
    try {
      migrate(db, base.slice(0, 1), "m.db");
    } catch (e) {
      err = e;
    }
    expect(isLosError(err, "LOS_E_STORE_VERSION")).toBe(true);
    expect((err as Error).message).toContain("version 2");
    expect(schemaVersion(db)).toBe(2);
    db.close();
  });

  it("a failing migration rolls back and names its version", () => {
    const db = openDatabase(path, { synchronous: "FULL" });
    const failing: Migration[] = [
      base[0]!,
      {
        version: 2,
        name: "half done",
        up: (d) => {
          d.exec("CREATE TABLE partial (z INTEGER)");
          d.exec("INSERT INTO a VALUES (1)");
          d.exec("THIS IS NOT SQL");
        },
      },
    ];
    let err: unknown;
    try {
      migrate(db, failing, "m.db");
    } catch (e) {
      err = e;
    }
    expect(isLosError(err, "LOS_E_STORE_MIGRATION")).toBe(true);
    expect((err as Error).message).toContain("migration 2");
    expect((err as { details: Record<string, unknown> }).details.version).toBe(2);
    expect(schemaVersion(db)).toBe(1);
    expect(tables(db)).toEqual(["a"]);
    expect(db.prepare("SELECT count(*) FROM a").pluck().get()).toBe(0);
    db.close();
  });

  it("rejects a list with gaps", () => {
    const db = openDatabase(path, { synchronous: "FULL" });
    expect(() => migrate(db, [base[1]!], "m.db")).toThrow(/without gaps/);
    db.close();
  });

  it("translates open errors into LOS_E_STORE_OPEN with the path", () => {
    const bad = join(t.dir, "missing-dir", "x.db");
    for (const open of [() => openDatabase(bad, { synchronous: "FULL" }), () => openDatabaseReadOnly(bad)]) {
      let err: unknown;
      try {
        open();
      } catch (e) {
        err = e;
      }
      expect(isLosError(err, "LOS_E_STORE_OPEN")).toBe(true);
      expect((err as Error).message).toContain(bad);
    }
  });
});
