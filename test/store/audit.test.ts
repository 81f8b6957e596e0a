import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditRepo, type AuditEntry } from "../../src/store/audit-repo.js";
import { migrate } from "../../src/store/migrations.js";
import { openDatabase, type Db } from "../../src/store/sqlite.js";
import { STATE_MIGRATIONS } from "../../src/store/state-migrations.js";
import { tempDir } from "./helpers.js";

const T0 = Date.UTC(2026, 0, 1);

function entry(over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    ts: T0,
    actor: { kind: "agent", id: "heater-ctl", tenant: "farm" },
    point: "boiler/setpoint",
    value: 21.5,
    previous: 20,
    reason: "too cold",
    outcome: "accepted",
    ...over,
  };
}

describe("audit", () => {
  let t: ReturnType<typeof tempDir>;
  let path: string;
  let db: Db;
  let audit: AuditRepo;
  const open = () => {
    db = openDatabase(path, { synchronous: "FULL" });
    migrate(db, STATE_MIGRATIONS, "state.db");
    audit = new AuditRepo(db);
  };
  beforeEach(() => {
    t = tempDir();
    path = join(t.dir, "state.db");
    open();
  });
  afterEach(() => {
    if (db.open) db.close();
    t.cleanup();
  });

  it("records an entry and returns it with its id", () => {
    const a = audit.record(entry());
    const b = audit.record(
      entry({ ts: T0 + 1, actor: { kind: "operator", id: "ana" }, value: true, previous: undefined, outcome: "refused", code: "LOS_E_WRITE_INTERLOCK", message: "door open" }),
    );
    expect(a).toEqual({ ...entry(), id: 1 });
    expect(b.id).toBe(2);
    expect(audit.count()).toBe(2);
    expect(audit.list()).toEqual([
      { ts: T0 + 1, actor: { kind: "operator", id: "ana" }, point: "boiler/setpoint", value: true, reason: "too cold", outcome: "refused", code: "LOS_E_WRITE_INTERLOCK", message: "door open", id: 2 },
      { ...entry(), id: 1 },
    ]);
  });

  it("keeps value types (number, boolean, string)", () => {
    audit.record(entry({ value: "auto", previous: "manual" }));
    audit.record(entry({ value: false, previous: true }));
    audit.record(entry({ value: 0, previous: -1.25 }));
    expect(audit.list().map((r) => [r.value, r.previous])).toEqual([
      [0, -1.25],
      [false, true],
      ["auto", "manual"],
    ]);
  });

  it("lists newest first with since, point, actor and limit filters", () => {
    audit.recordMany([
      entry({ ts: T0 + 30, point: "a/x" }),
      entry({ ts: T0 + 10, point: "a/y", actor: { kind: "mqtt", id: "scada" } }),
      entry({ ts: T0 + 20, point: "a/x", actor: { kind: "mqtt", id: "scada" } }),
      entry({ ts: T0 + 40, point: "a/y" }),
    ]);
    expect(audit.list().map((r) => r.ts - T0)).toEqual([40, 30, 20, 10]);
    expect(audit.list({ since: T0 + 20 }).map((r) => r.ts - T0)).toEqual([40, 30, 20]);
    expect(audit.list({ point: "a/x" }).map((r) => r.ts - T0)).toEqual([30, 20]);
    expect(audit.list({ actor: "scada" }).map((r) => r.ts - T0)).toEqual([20, 10]);
    expect(audit.list({ actor: "scada", point: "a/y" }).map((r) => r.ts - T0)).toEqual([10]);
    expect(audit.list({ limit: 1 }).map((r) => r.ts - T0)).toEqual([40]);
    expect(() => audit.list({ limit: 0 })).toThrow(expect.objectContaining({ code: "LOS_E_STORE_QUERY" }));
  });

  it("refuses malformed entries without writing", () => {
    expect(() => audit.record(entry({ outcome: "maybe" as never }))).toThrow(expect.objectContaining({ code: "LOS_E_STORE_QUERY" }));
    expect(() => audit.record(entry({ value: { a: 1 } as never }))).toThrow(expect.objectContaining({ code: "LOS_E_STORE_QUERY" }));
    expect(() => audit.recordMany([entry(), entry({ point: "" })])).toThrow(expect.objectContaining({ code: "LOS_E_STORE_QUERY" }));
    expect(audit.count()).toBe(0);
  });

  it("a recorded entry is in the file without any flush: close the connection, reopen, it is there", () => {
    const ids = [audit.record(entry()).id, audit.record(entry({ ts: T0 + 1 })).id];
    // A second, independent connection sees the committed rows while the writer is still open.
    const other = openDatabase(path, { synchronous: "FULL" });
    expect(other.prepare("SELECT id FROM audit ORDER BY id").pluck().all()).toEqual(ids);
    other.close();
    db.close(); // the raw connection: no store-level flush or shutdown step
    open();
    expect(audit.list().map((r) => r.id).sort()).toEqual(ids);
    expect(db.pragma("synchronous", { simple: true })).toBe(2); // FULL
  });

  it("never reuses an id", () => {
    audit.record(entry());
    const second = audit.record(entry());
    db.prepare("DELETE FROM audit WHERE id = ?").run(second.id);
    expect(audit.record(entry()).id).toBe(second.id + 1);
  });
});
