import { describe, expect, it } from "vitest";
import { BusStatsCollector } from "../../src/bus/bus-stats.js";
import { PublishThrottle } from "../../src/bus/rate-limit.js";
import { ManualClock } from "../../src/core/clock.js";
import { recordingLogger } from "./helpers.js";

function setup() {
  const clock = new ManualClock();
  const logger = recordingLogger();
  const stats = new BusStatsCollector();
  const throttle = new PublishThrottle({ clock, logger, stats });
  const passed: string[] = [];
  const failed: string[] = [];
  let closed = false;
  const client = {};
  const send = (id: string, rate = 10) =>
    throttle.admit(client, rate, () => closed, { clientId: "c1" }, (err) => (err ? failed : passed).push(id));
  return { clock, logger, stats, throttle, passed, failed, send, close: () => (closed = true) };
}

describe("PublishThrottle", () => {
  it("passes a burst of one second's worth at once, then releases held publishes in order at the rate", () => {
    const t = setup();
    for (let i = 0; i < 15; i++) t.send(`m${i}`);
    expect(t.passed).toEqual(["m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"]);
    expect(t.stats.snapshot(0).publishThrottled).toBe(5);
    t.clock.advance(100);
    expect(t.passed.at(-1)).toBe("m10");
    t.clock.advance(250);
    expect(t.passed.slice(10)).toEqual(["m10", "m11", "m12"]);
    // a publish arriving while others are held waits behind them
    t.send("late");
    t.clock.advance(1000);
    expect(t.passed.slice(10)).toEqual(["m10", "m11", "m12", "m13", "m14", "late"]);
    expect(t.failed).toEqual([]);
    expect(t.clock.pendingTimers()).toBe(0);
  });

  it("logs LOS_E_BUS_RATE_LIMITED once per 10 s window", () => {
    const t = setup();
    for (let i = 0; i < 14; i++) t.send(`m${i}`);
    t.clock.advance(5000);
    for (let i = 0; i < 14; i++) t.send(`n${i}`);
    expect(t.logger.entries.filter((e) => e.obj.code === "LOS_E_BUS_RATE_LIMITED")).toHaveLength(1);
    t.clock.advance(10_000);
    for (let i = 0; i < 14; i++) t.send(`o${i}`);
    const logs = t.logger.entries.filter((e) => e.obj.code === "LOS_E_BUS_RATE_LIMITED");
    expect(logs).toHaveLength(2);
    expect(logs[0]?.obj).toMatchObject({ clientId: "c1", messagesPerSecond: 10 });
  });

  it("a backlog beyond 5 s of the rate fails every held publish (the broker disconnects the client)", () => {
    const t = setup();
    for (let i = 0; i < 10 + 50; i++) t.send(`m${i}`, 10);
    expect(t.failed).toEqual([]);
    t.send("over", 10);
    expect(t.failed).toHaveLength(51);
    expect(t.failed.at(-1)).toBe("over");
    expect(t.stats.snapshot(0).publishFloodDisconnects).toBe(1);
    expect(t.logger.entries.some((e) => e.obj.code === "LOS_E_BUS_RATE_LIMITED" && /disconnected/.test(e.msg ?? ""))).toBe(true);
  });

  it("held publishes of a closed client are dropped unanswered; close() cancels the timers", () => {
    const t = setup();
    for (let i = 0; i < 12; i++) t.send(`m${i}`);
    t.close();
    t.clock.advance(1000);
    expect(t.passed).toHaveLength(10);
    expect(t.failed).toEqual([]);
    const u = setup();
    for (let i = 0; i < 12; i++) u.send(`m${i}`);
    u.throttle.close();
    expect(u.clock.pendingTimers()).toBe(0);
  });

  it("a fractional rate below one still lets one message through per period", () => {
    const t = setup();
    t.send("a", 0.5);
    t.send("b", 0.5);
    expect(t.passed).toEqual(["a"]);
    t.clock.advance(1999);
    expect(t.passed).toEqual(["a"]);
    t.clock.advance(1);
    expect(t.passed).toEqual(["a", "b"]);
  });
});
