import { describe, expect, it } from "vitest";
import { ManualClock, sleep, systemClock } from "../../src/core/clock.js";
import { LosError } from "../../src/core/errors.js";

describe("ManualClock", () => {
  it("starts at 2026-01-01 by default, or where told, and only moves when advanced", () => {
    expect(new ManualClock().now()).toBe(Date.UTC(2026, 0, 1));
    const c = new ManualClock(1000);
    expect(c.now()).toBe(1000);
    expect(c.monotonic()).toBe(0);
    c.advance(250);
    expect(c.now()).toBe(1250);
    expect(c.monotonic()).toBe(250);
  });

  it("fires due timers in time order, then in scheduling order, with the clock at their due time", () => {
    const c = new ManualClock(0);
    const fired: string[] = [];
    c.setTimeout(() => fired.push(`b@${c.now()}`), 20);
    c.setTimeout(() => fired.push(`a@${c.now()}`), 10);
    c.setTimeout(() => fired.push(`c@${c.now()}`), 20);
    c.setTimeout(() => fired.push(`late@${c.now()}`), 100);
    c.advance(50);
    expect(fired).toEqual(["a@10", "b@20", "c@20"]);
    expect(c.now()).toBe(50);
    expect(c.pendingTimers()).toBe(1);
  });

  it("fires timers scheduled by timers when they fall inside the advance", () => {
    const c = new ManualClock(0);
    const ticks: number[] = [];
    const tick = () => {
      ticks.push(c.monotonic());
      c.setTimeout(tick, 10);
    };
    c.setTimeout(tick, 10);
    c.advance(35);
    expect(ticks).toEqual([10, 20, 30]);
    expect(c.pendingTimers()).toBe(1);
  });

  it("clearTimeout cancels; a zero or negative delay fires on advance(0)", () => {
    const c = new ManualClock(0);
    let n = 0;
    const h = c.setTimeout(() => n++, 5);
    c.clearTimeout(h);
    c.setTimeout(() => (n += 10), -5);
    c.advance(0);
    expect(n).toBe(10);
    c.advance(10);
    expect(n).toBe(10);
    expect(c.pendingTimers()).toBe(0);
  });
});

describe("sleep", () => {
  it("resolves when the clock reaches the delay", async () => {
    const c = new ManualClock(0);
    let done = false;
    const p = sleep(c, 100).then(() => (done = true));
    c.advance(99);
    await Promise.resolve();
    expect(done).toBe(false);
    c.advance(1);
    await p;
    expect(done).toBe(true);
  });

  it("rejects with the abort reason and clears its timer", async () => {
    const c = new ManualClock(0);
    const ac = new AbortController();
    const p = sleep(c, 100, ac.signal);
    const reason = new LosError("LOS_E_CLOSED");
    ac.abort(reason);
    await expect(p).rejects.toBe(reason);
    c.advance(0);
    expect(c.pendingTimers()).toBe(0);
  });

  it("rejects at once on an already aborted signal without scheduling", async () => {
    const c = new ManualClock(0);
    const ac = new AbortController();
    ac.abort("stop");
    await expect(sleep(c, 10, ac.signal)).rejects.toBe("stop");
    expect(c.pendingTimers()).toBe(0);
  });

  it("works on the system clock", async () => {
    await expect(sleep(systemClock, 1)).resolves.toBeUndefined();
    expect(systemClock.now()).toBeGreaterThan(Date.UTC(2020, 0, 1));
  });
});
