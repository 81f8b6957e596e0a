import { describe, expect, it } from "vitest";
import { FaultInjector } from "../../simulators/modbus/faults.js";

describe("FaultInjector", () => {
  it("scopes rules to a unit id and function codes, newest rule first", () => {
    const f = new FaultInjector();
    f.inject({ mode: "no-answer" });
    f.inject({ mode: "exception", unitId: 2, exceptionCode: 6 });
    f.inject({ mode: "none", unitId: 2, functionCodes: [3] });
    expect(f.take(1, 3)?.mode).toBe("no-answer");
    expect(f.take(2, 3)).toBeUndefined();
    expect(f.take(2, 4)).toMatchObject({ mode: "exception", exceptionCode: 6 });
  });

  it("expires a rule after `count` requests and reports what it did", () => {
    const f = new FaultInjector();
    const h = f.inject({ mode: "slow", delayMs: 20, count: 2 });
    expect(f.take(1, 3)).toMatchObject({ mode: "slow", delayMs: 20 });
    expect(h.remaining).toBe(1);
    expect(f.take(1, 3)?.mode).toBe("slow");
    expect(f.take(1, 3)).toBeUndefined();
    expect(h.applied).toBe(2);
    expect(f.rules()).toEqual([]);
    expect(f.counts().slow).toBe(2);
  });

  it("clears all rules or one unit's, and set() replaces", () => {
    const f = new FaultInjector();
    f.inject({ mode: "drop", unitId: 1 });
    f.inject({ mode: "drop", unitId: 2 });
    f.clear(1);
    expect(f.rules().map((r) => r.unitId)).toEqual([2]);
    f.set({ mode: "truncated" });
    expect(f.rules().map((r) => r.mode)).toEqual(["truncated"]);
    f.clear();
    expect(f.take(1, 1)).toBeUndefined();
  });

  it("draws garbage from a seeded generator and rejects bad specs", () => {
    const a = new FaultInjector({ seed: 7 });
    const b = new FaultInjector({ seed: 7 });
    a.inject({ mode: "garbage", garbageLength: 12 });
    b.inject({ mode: "garbage", garbageLength: 12 });
    const ga = a.take(1, 3)?.garbage;
    expect(ga).toHaveLength(12);
    expect(ga?.equals(b.take(1, 3)?.garbage as Buffer)).toBe(true);
    expect(() => a.inject({ mode: "exception", exceptionCode: 0 })).toThrow(RangeError);
    expect(() => a.inject({ mode: "no-answer", count: 0 })).toThrow(RangeError);
    expect(() => a.inject({ mode: "bogus" as never })).toThrow(RangeError);
  });
});
