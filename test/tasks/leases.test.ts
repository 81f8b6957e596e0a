import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { compilePointPatterns } from "../../src/core/point-pattern.js";
import type { LeaseRecord } from "../../src/core/task-types.js";
import { LeasesRepo } from "../../src/store/leases-repo.js";
import { Leases } from "../../src/tasks/leases.js";
import { StateFile } from "./coordination-helpers.js";

const P = "point:gh1/vent";
const agent = (id: string) => ({ kind: "agent" as const, id });

describe("Leases", () => {
  let file: StateFile;
  let clock: ManualClock;
  let leases: Leases;
  let expired: LeaseRecord[];

  const open = (requireLease?: string[]) => {
    const l = new Leases({ store: new LeasesRepo(file.open()), clock, ...(requireLease ? { requireLease: compilePointPatterns(requireLease) } : {}) });
    l.onExpired((x) => expired.push(x));
    return l;
  };

  beforeEach(() => {
    file = new StateFile();
    clock = new ManualClock();
    expired = [];
    leases = open();
  });
  afterEach(() => {
    leases.close();
    file.cleanup();
  });

  it("grants a lease for ttlMs, refuses another holder with who and until, and expires once", () => {
    const a = leases.acquire(P, "a", 1000);
    expect(a).toMatchObject({ ok: true, lease: { resource: P, holder: "a", kind: "lease", token: 1, from: clock.now(), until: clock.now() + 1000 } });
    const b = leases.acquire(P, "b", 1000);
    expect(b).toMatchObject({ ok: false, code: "LOS_E_LEASE_CONFLICT", holder: "a", until: clock.now() + 1000 });
    clock.advance(999);
    expect(leases.holderOf(P)?.holder).toBe("a");
    expect(expired).toEqual([]);
    clock.advance(1);
    expect(leases.holderOf(P)).toBeUndefined();
    expect(expired.map((l) => [l.resource, l.holder, l.token])).toEqual([[P, "a", 1]]);
    clock.advance(10_000);
    expect(expired).toHaveLength(1);
    expect(leases.acquire(P, "b", 1000)).toMatchObject({ ok: true, lease: { holder: "b", token: 2 } });
  });

  it("refuses ttlMs outside 100 ms … 1 h", () => {
    for (const ttl of [99, 3_600_001, Number.NaN, -5]) {
      expect(leases.acquire(P, "a", ttl)).toMatchObject({ ok: false, code: "LOS_E_LEASE_INVALID" });
    }
    expect(leases.list()).toEqual([]);
  });

  it("renew(holder) extends every lease of that holder and no other", () => {
    leases.acquire(P, "a", 1000);
    leases.acquire("task:t1", "a", 2000);
    leases.acquire("point:gh1/fan", "b", 1000);
    clock.advance(800);
    leases.renew("a");
    clock.advance(500);
    expect(leases.holderOf(P)?.holder).toBe("a");
    expect(leases.holderOf("task:t1")?.until).toBe(clock.now() - 500 + 2000);
    expect(leases.holderOf("point:gh1/fan")).toBeUndefined();
    expect(expired.map((l) => l.holder)).toEqual(["b"]);
    // a silent holder is caught by expiry
    clock.advance(1500);
    expect(expired.map((l) => l.resource).sort()).toEqual(["point:gh1/fan", P, "task:t1"].sort());
  });

  it("acquiring again extends one's own lease with the same token", () => {
    leases.acquire(P, "a", 1000);
    clock.advance(900);
    const again = leases.acquire(P, "a", 1000);
    expect(again).toMatchObject({ ok: true, lease: { token: 1, until: clock.now() + 1000 } });
    expect(leases.list()).toHaveLength(1);
  });

  it("release ends without an expiry event and the token still increases", () => {
    leases.acquire(P, "a", 1000);
    expect(leases.release(P, "b")).toBe(false);
    expect(leases.release(P, "a")).toBe(true);
    clock.advance(5000);
    expect(expired).toEqual([]);
    expect(leases.acquire(P, "b", 1000)).toMatchObject({ ok: true, lease: { token: 2 } });
  });

  it("releaseAll drops everything a holder has and returns it", () => {
    leases.acquire(P, "a", 1000);
    leases.acquire("task:t1", "a", 1000);
    leases.reserve("point:gh1/fan", "a", clock.now() + 5000, clock.now() + 6000);
    leases.acquire("task:t2", "b", 1000);
    expect(leases.releaseAll("a").map((l) => l.resource).sort()).toEqual(["point:gh1/fan", P, "task:t1"].sort());
    expect(leases.list().map((l) => l.holder)).toEqual(["b"]);
    clock.advance(10_000);
    expect(expired.map((l) => l.resource)).toEqual(["task:t2"]);
  });

  describe("reservations", () => {
    it("hold a future window, become effective at from and end at until without an expiry event", () => {
      const now = clock.now();
      const r = leases.reserve(P, "a", now + 1000, now + 2000);
      expect(r).toMatchObject({ ok: true, lease: { kind: "reservation", from: now + 1000, until: now + 2000, token: 1 } });
      expect(leases.holderOf(P)).toBeUndefined();
      expect(leases.holderOf(P, now + 1500)?.holder).toBe("a");
      expect(leases.checkWrite(agent("b"), "gh1/vent")).toEqual({ ok: true });
      clock.advance(1000);
      expect(leases.checkWrite(agent("b"), "gh1/vent")).toMatchObject({ ok: false, code: "LOS_E_LEASE_CONFLICT", holder: "a", until: now + 2000 });
      expect(leases.checkWrite(agent("a"), "gh1/vent")).toEqual({ ok: true });
      clock.advance(1000);
      expect(leases.holderOf(P)).toBeUndefined();
      expect(leases.list()).toEqual([]);
      expect(expired).toEqual([]);
    });

    it("conflict with other holders' overlapping leases and reservations, not with adjacent windows", () => {
      const now = clock.now();
      leases.reserve(P, "a", now + 1000, now + 2000);
      expect(leases.reserve(P, "b", now + 1500, now + 2500)).toMatchObject({ ok: false, code: "LOS_E_LEASE_CONFLICT", holder: "a", until: now + 2000 });
      expect(leases.reserve(P, "b", now + 500, now + 1001)).toMatchObject({ ok: false, code: "LOS_E_LEASE_CONFLICT" });
      expect(leases.reserve(P, "b", now + 2000, now + 3000)).toMatchObject({ ok: true, lease: { token: 2 } });
      expect(leases.reserve(P, "a", now + 1200, now + 1800)).toMatchObject({ ok: true });
      // a lease whose ttl reaches into another's reservation is refused
      expect(leases.acquire(P, "b", 1500)).toMatchObject({ ok: false, code: "LOS_E_LEASE_CONFLICT", holder: "a" });
      expect(leases.acquire(P, "b", 1000)).toMatchObject({ ok: true });
      // and a reservation over another's lease
      expect(leases.reserve(P, "a", now + 100, now + 200)).toMatchObject({ ok: false, code: "LOS_E_LEASE_CONFLICT", holder: "b" });
    });

    it("a renewed lease stops where another holder's reservation starts", () => {
      const now = clock.now();
      leases.acquire(P, "a", 1000);
      leases.reserve(P, "b", now + 1500, now + 3000);
      clock.advance(900);
      leases.renew("a");
      expect(leases.holderOf(P)?.until).toBe(now + 1500);
      clock.advance(600);
      expect(expired.map((l) => l.holder)).toEqual(["a"]);
      expect(leases.holderOf(P)).toMatchObject({ holder: "b", kind: "reservation" });
    });

    it("refuses windows in the past, empty or too long", () => {
      const now = clock.now();
      expect(leases.reserve(P, "a", now - 1, now + 1000)).toMatchObject({ ok: false, code: "LOS_E_LEASE_INVALID" });
      expect(leases.reserve(P, "a", now + 1000, now + 1000)).toMatchObject({ ok: false, code: "LOS_E_LEASE_INVALID" });
      expect(leases.reserve(P, "a", now, now + 25 * 3_600_000)).toMatchObject({ ok: false, code: "LOS_E_LEASE_INVALID" });
    });
  });

  it("checkWrite: holder only, operators too are refused; requireLease points need a lease", () => {
    leases.close();
    leases = open(["gh1/heater"]);
    leases.acquire(P, "a", 1000);
    expect(leases.checkWrite(agent("a"), "gh1/vent")).toEqual({ ok: true });
    expect(leases.checkWrite({ kind: "operator", id: "a" }, "gh1/vent")).toMatchObject({ ok: false, holder: "a" });
    expect(leases.checkWrite(agent("b"), "gh1/fan")).toEqual({ ok: true });
    const none = leases.checkWrite(agent("b"), "gh1/heater");
    expect(none).toMatchObject({ ok: false, code: "LOS_E_LEASE_CONFLICT", holder: "" });
    expect(none.ok ? "" : none.message).toContain("no lease held");
    leases.acquire("point:gh1/heater", "b", 1000);
    expect(leases.checkWrite(agent("b"), "gh1/heater")).toEqual({ ok: true });
  });

  it("one timer whatever the number of leases", () => {
    for (let i = 0; i < 50; i++) leases.acquire(`task:t${i}`, `a${i}`, 1000 + i);
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(2000);
    expect(expired).toHaveLength(50);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("survives a restart: leases in force come back, tokens keep increasing, expired ones fire once", () => {
    const now = clock.now();
    leases.acquire(P, "a", 1000);
    leases.acquire("task:t1", "b", 5000);
    leases.reserve("point:gh1/fan", "c", now + 2000, now + 3000);
    leases.acquire("point:gh1/old", "d", 1000);
    leases.release("point:gh1/old", "d");
    leases.close();

    clock.advance(2500); // gateway down: nothing fires
    expect(expired).toEqual([]);
    leases = open();
    expect(leases.holderOf("task:t1")).toMatchObject({ holder: "b", token: 1, until: now + 5000 });
    expect(leases.holderOf("point:gh1/fan")).toMatchObject({ holder: "c", kind: "reservation" });
    clock.advance(0);
    expect(expired.map((l) => [l.resource, l.holder])).toEqual([[P, "a"]]);
    clock.advance(10_000);
    expect(expired.map((l) => l.resource)).toEqual([P, "task:t1"]);
    expect(leases.acquire("point:gh1/old", "e", 1000)).toMatchObject({ ok: true, lease: { token: 2 } });
    expect(leases.acquire(P, "e", 1000)).toMatchObject({ ok: true, lease: { token: 2 } });

    leases.close();
    leases = open();
    clock.advance(0);
    expect(expired).toHaveLength(2);
    expect(leases.list().map((l) => [l.resource, l.token]).sort()).toEqual([["point:gh1/old", 2], [P, 2]].sort());
  });
});
