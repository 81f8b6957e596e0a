import { afterEach, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { join } from "node:path";
import { isLosError } from "../../src/core/errors.js";
import { openStore, openStoreReadOnly, type Store } from "../../src/store/index.js";
import { resolveTaskDefaults } from "../../src/tasks/task-defaults.js";
import { transition } from "../../src/tasks/task-lifecycle.js";
import { taskRecordFromSpec } from "../../src/tasks/task-spec.js";
import { tempDir } from "./helpers.js";

const task = (id: string, extra: Record<string, unknown> = {}, now = 1000) =>
  taskRecordFromSpec({ id, type: "shed", ...extra }, { now, defaults: resolveTaskDefaults(), createdBy: "cli" });

describe("tasks repo", () => {
  let cleanup = () => {};
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
    cleanup();
  });
  const open = () => {
    const t = tempDir();
    cleanup = t.cleanup;
    store = openStore({ dataDir: t.dir, retention: false });
    return { store, dir: t.dir };
  };

  it("inserts, refuses a duplicate id with LOS_E_TASK_DUPLICATE, and reads back after reopening", async () => {
    const { store: s, dir } = open();
    s.tasks.insert(task("a", { params: { kw: 2 } }), [{ ts: 1000, event: "created" }]);
    let err: unknown;
    try {
      s.tasks.insert(task("a"));
    } catch (e) {
      err = e;
    }
    expect(isLosError(err, "LOS_E_TASK_DUPLICATE")).toBe(true);
    expect(s.tasks.events("a")).toHaveLength(1);
    await s.close();
    store = undefined;
    const ro = openStoreReadOnly(dir);
    try {
      expect(ro.tasks.get("a")).toMatchObject({ id: "a", params: { kw: 2 }, state: "pending" });
      expect(ro.tasks.events("a")).toEqual([{ id: 1, taskId: "a", ts: 1000, event: "created" }]);
    } finally {
      ro.close();
    }
  });

  it("a transition and its events commit together or not at all", () => {
    const { store: s, dir } = open();
    const t = task("b");
    s.tasks.insert(t);
    const won = transition(transition(t, "announced", 1100, { round: 1 }), "awarded", 1200, { winner: "w1", attempt: 1, price: 3 });
    s.tasks.update(won, [
      { ts: 1100, event: "announced" },
      { ts: 1200, event: "awarded", agent: "w1", attempt: 1, data: { price: 3 } },
    ]);
    expect(s.tasks.get("b")).toMatchObject({ state: "awarded", winner: "w1", attempt: 1 });
    // an event that cannot be stored (NOT NULL ts) rolls the state change back
    const running = transition(won, "running", 1300);
    expect(() => s.tasks.update(running, [{ ts: null as unknown as number, event: "running" }])).toThrow();
    expect(s.tasks.get("b")?.state).toBe("awarded");
    expect(s.tasks.events("b").map((e) => e.event)).toEqual(["announced", "awarded"]);
    expect(s.tasks.events("b")[1]).toMatchObject({ agent: "w1", attempt: 1, data: { price: 3 } });
    const raw = new Database(join(dir, "state.db"), { readonly: true });
    expect(raw.prepare("SELECT state, winner, attempt FROM tasks WHERE id = 'b'").get()).toEqual({ state: "awarded", winner: "w1", attempt: 1 });
    raw.close();
  });

  it("updating an unknown task is LOS_E_TASK_UNKNOWN", () => {
    const { store: s } = open();
    let err: unknown;
    try {
      s.tasks.update(task("nope"));
    } catch (e) {
      err = e;
    }
    expect(isLosError(err, "LOS_E_TASK_UNKNOWN")).toBe(true);
  });

  it("lists by state and tenant, unfinished by priority, and prunes old finished tasks with their events", () => {
    const { store: s } = open();
    s.tasks.insert(task("low", { priority: 1 }, 1000));
    s.tasks.insert(task("high", { priority: 8, tenant: "t1" }, 1001));
    const old = task("old", {}, 900);
    s.tasks.insert(old, [{ ts: 900, event: "created" }]);
    s.tasks.update(transition(old, "cancelled", 950), [{ ts: 950, event: "cancelled" }]);
    expect(s.tasks.unfinished().map((t) => t.id)).toEqual(["high", "low"]);
    expect(s.tasks.list({ state: "cancelled" }).map((t) => t.id)).toEqual(["old"]);
    expect(s.tasks.list({ tenant: "t1" }).map((t) => t.id)).toEqual(["high"]);
    expect(s.tasks.list({ limit: 2 }).map((t) => t.id)).toEqual(["high", "low"]);
    expect(s.tasks.prune(940)).toEqual([]);
    expect(s.tasks.prune(960)).toEqual(["old"]);
    expect(s.tasks.get("old")).toBeUndefined();
    expect(s.tasks.events("old")).toEqual([]);
  });
});
