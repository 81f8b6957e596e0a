import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { LosError } from "../../src/core/errors.js";
import type { Fact } from "../../src/core/task-types.js";
import { FactsRepo } from "../../src/store/facts-repo.js";
import { Facts } from "../../src/tasks/fact-space.js";
import { StateFile } from "./coordination-helpers.js";

describe("Facts", () => {
  let file: StateFile;
  let clock: ManualClock;
  let facts: Facts;
  let changes: [string, boolean][];

  const open = () => {
    const f = new Facts({ store: new FactsRepo(file.open()), clock });
    f.onChange((fact: Fact, gone) => changes.push([`${fact.scope}/${fact.owner}/${fact.key}`, gone]));
    return f;
  };

  beforeEach(() => {
    file = new StateFile();
    clock = new ManualClock();
    changes = [];
    facts = open();
  });
  afterEach(() => {
    facts.close();
    file.cleanup();
  });

  it("puts, gets, overwrites, lists and deletes by scope and owner", () => {
    const f = facts.put({ scope: "tenant", owner: "t1", key: "grid/price", value: { eurPerKWh: 0.31 }, by: "a1" });
    expect(f).toEqual({ scope: "tenant", owner: "t1", key: "grid/price", value: { eurPerKWh: 0.31 }, ts: clock.now(), by: "a1" });
    expect(facts.get("tenant", "t2", "grid/price")).toBeUndefined();
    expect(facts.get("site", "t1", "grid/price")).toBeUndefined();
    clock.advance(10);
    facts.put({ scope: "tenant", owner: "t1", key: "grid/price", value: { eurPerKWh: 0.29 }, by: "a2" });
    facts.put({ scope: "agent", owner: "a1", key: "mood", value: "ok", by: "a1" });
    expect(facts.get("tenant", "t1", "grid/price")).toMatchObject({ value: { eurPerKWh: 0.29 }, by: "a2", ts: clock.now() });
    expect(facts.list({ prefix: "grid/" }).map((x) => x.owner)).toEqual(["t1"]);
    expect(facts.list({ scope: "agent" }).map((x) => x.key)).toEqual(["mood"]);
    expect(facts.delete("tenant", "t1", "grid/price")).toBe(true);
    expect(facts.delete("tenant", "t1", "grid/price")).toBe(false);
    expect(changes).toEqual([
      ["tenant/t1/grid/price", false],
      ["tenant/t1/grid/price", false],
      ["agent/a1/mood", false],
      ["tenant/t1/grid/price", true],
    ]);
  });

  it("refuses bad keys, values and ttls with LOS_E_FACT_INVALID", () => {
    const bad = [
      { key: "", value: 1 },
      { key: "a b", value: 1 },
      { key: "a/../b", value: 1 },
      { key: "x".repeat(129), value: 1 },
      { key: "a/#", value: 1 },
      { key: "/a", value: 1 },
      { key: "ok", value: undefined },
      { key: "ok", value: "x".repeat(16 * 1024) },
      { key: "ok", value: 1, ttlMs: 0 },
      { key: "ok", value: 1, ttlMs: -1 },
      { key: "ok", value: 1, ttlMs: Number.NaN },
    ];
    for (const b of bad) {
      let err: unknown;
      try {
        facts.put({ scope: "site", owner: "s1", by: "a", ...b });
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(b)).toBeInstanceOf(LosError);
      expect((err as LosError).code).toBe("LOS_E_FACT_INVALID");
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => facts.put({ scope: "site", owner: "s1", key: "c", value: cyclic, by: "a" })).toThrow(LosError);
    // 16 KiB of JSON fits
    expect(facts.put({ scope: "site", owner: "s1", key: "big", value: "x".repeat(16 * 1024 - 2), by: "a" }).key).toBe("big");
    expect(facts.list().map((f) => f.key)).toEqual(["big"]);
  });

  it("expires on the clock with one timer, telling listeners it is gone", () => {
    facts.put({ scope: "site", owner: "s1", key: "a", value: 1, ttlMs: 1000, by: "x" });
    facts.put({ scope: "site", owner: "s1", key: "b", value: 2, ttlMs: 3000, by: "x" });
    facts.put({ scope: "site", owner: "s1", key: "c", value: 3, by: "x" });
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(999);
    expect(facts.get("site", "s1", "a")?.value).toBe(1);
    clock.advance(1);
    expect(facts.get("site", "s1", "a")).toBeUndefined();
    expect(changes.filter(([, gone]) => gone)).toEqual([["site/s1/a", true]]);
    // writing again renews the ttl
    clock.advance(1000);
    facts.put({ scope: "site", owner: "s1", key: "b", value: 22, ttlMs: 3000, by: "x" });
    clock.advance(2500);
    expect(facts.get("site", "s1", "b")?.value).toBe(22);
    clock.advance(500);
    expect(facts.list().map((f) => f.key)).toEqual(["c"]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("persists across a restart; facts that expired meanwhile are dropped and reported gone", () => {
    facts.put({ scope: "agent", owner: "a1", key: "k", value: [1, 2], by: "a1" });
    facts.put({ scope: "site", owner: "s1", key: "short", value: true, ttlMs: 1000, by: "x" });
    facts.put({ scope: "site", owner: "s1", key: "long", value: "v", ttlMs: 60_000, by: "x" });
    facts.close();
    clock.advance(5000);
    changes = [];
    facts = open();
    clock.advance(0);
    expect(changes).toEqual([["site/s1/short", true]]);
    expect(facts.get("agent", "a1", "k")?.value).toEqual([1, 2]);
    expect(facts.get("site", "s1", "long")).toMatchObject({ value: "v", expiresAt: clock.now() - 5000 + 60_000 });
    facts.close();
    facts = open();
    expect(facts.list().map((f) => f.key).sort()).toEqual(["k", "long"]);
  });
});
