/**
 * The Modbus TCP client when things go wrong: timeouts on a ManualClock, late answers, the
 * simulator's faults (garbage, short and cut frames, dropped connection), answers that match no
 * request, and close.
 */
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { LosError } from "../../src/core/errors.js";
import type { FaultMode } from "../../simulators/modbus/faults.js";
import { waitFor } from "./helpers.js";
import { client, sim, viaRelay } from "./modbus-client-harness.js";


/** Settle `p` and return its outcome: the data, or the coded error. */
function outcome<T>(p: Promise<T>): { done: boolean; value?: T; error?: LosError } {
  const o: { done: boolean; value?: T; error?: LosError } = { done: false };
  p.then(
    (v) => Object.assign(o, { done: true, value: v }),
    (e: unknown) => Object.assign(o, { done: true, error: e as LosError }),
  );
  return o;
}

describe("modbus TCP client: timeouts", () => {
  it("times out on the injected clock; a late answer is dropped quietly and the connection stays up", async () => {
    const clock = new ManualClock();
    const s = await sim(clock); // the simulator holds `slow` answers on the same clock
    s.bank(1).setWords("holding", 0, [4, 5]);
    const { c, lost } = await client(s.port, { clock, timeoutMs: 150 });
    s.faults.set({ mode: "slow", delayMs: 1000, count: 1 });
    const first = outcome(c.readRegisters(1, 3, 0, 2));
    await waitFor(() => s.server.stats.delayed === 1, "request held by the simulator");
    clock.advance(149);
    await Promise.resolve();
    expect(first.done).toBe(false);
    clock.advance(1);
    await waitFor(() => first.done, "timeout");
    expect(first.error?.code).toBe("LOS_E_DEVICE_TIMEOUT");
    expect(first.error?.details).toMatchObject({ unitId: 1, fc: 3, address: 0, count: 2 });
    clock.advance(1000); // the simulator sends the answer now
    await waitFor(() => c.stats().late === 1, "late answer");
    expect(await c.readRegisters(1, 3, 0, 2)).toEqual([4, 5]);
    expect(c.isOpen).toBe(true);
    expect(lost).toEqual([]);
  });

  it("each request gets its own deadline; one timer watches them all", async () => {
    const clock = new ManualClock();
    const s = await sim();
    const { c } = await client(s.port, { clock, timeoutMs: 100, maxInFlight: 4 });
    s.faults.set({ mode: "no-answer" });
    const a = outcome(c.readRegisters(1, 3, 0, 1));
    await waitFor(() => s.server.stats.requests === 1, "first request");
    clock.advance(60);
    const b = outcome(c.readRegisters(1, 3, 1, 1));
    await waitFor(() => s.server.stats.requests === 2, "second request");
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(40);
    await waitFor(() => a.done, "first timeout");
    expect(a.error?.code).toBe("LOS_E_DEVICE_TIMEOUT");
    expect(b.done).toBe(false);
    clock.advance(59);
    await Promise.resolve();
    expect(b.done).toBe(false);
    clock.advance(1);
    await waitFor(() => b.done, "second timeout");
    expect(b.error?.code).toBe("LOS_E_DEVICE_TIMEOUT");
    expect(c.isOpen).toBe(true);
  });

  it("part of a frame and then silence until the timeout is LOS_E_DEVICE_BAD_FRAME and ends the connection", async () => {
    const clock = new ManualClock();
    const s = await sim();
    // the relay passes on only the first 5 bytes of each answer: an MBAP header cut short
    const { c, lost } = await viaRelay(s, { rewrite: (f) => f.subarray(0, 5) }, { clock, timeoutMs: 100 });
    const r = outcome(c.readRegisters(1, 3, 0, 1));
    await waitFor(() => c.stats().buffered === 5, "partial frame");
    clock.advance(100);
    await waitFor(() => r.done, "timeout");
    expect(r.error?.code).toBe("LOS_E_DEVICE_BAD_FRAME");
    expect(c.isOpen).toBe(false);
    expect(lost.map((e) => e.code)).toEqual(["LOS_E_DEVICE_BAD_FRAME"]);
  });
});

describe("modbus TCP client: broken answers end the connection", () => {
  const FAULTS: FaultMode[] = ["garbage", "bad-crc", "truncated"];
  it.each(FAULTS)("%s: LOS_E_DEVICE_BAD_FRAME, the other request in flight is cut, later requests fail at once", async (mode) => {
    const s = await sim();
    const { c, lost } = await client(s.port, { maxInFlight: 2 });
    s.faults.set({ mode, unitId: 1, count: 1 });
    s.faults.inject({ mode: "no-answer", unitId: 2 }); // keeps unit 2's request in flight
    const [bad, other] = await Promise.allSettled([c.readRegisters(2, 3, 0, 1), c.readRegisters(1, 3, 0, 4)]).then((rs) =>
      rs.map((r) => (r.status === "rejected" ? (r.reason as LosError).code : "ok")),
    );
    expect(other).toBe("LOS_E_DEVICE_BAD_FRAME");
    // garbage cannot be told apart from an answer to unit 2, the others can
    expect(bad).toBe(mode === "garbage" ? "LOS_E_DEVICE_BAD_FRAME" : "LOS_E_DEVICE_DISCONNECTED");
    expect(lost.map((e) => e.code)).toEqual(["LOS_E_DEVICE_BAD_FRAME"]);
    expect(c.isOpen).toBe(false);
    await expect(c.readRegisters(1, 3, 0, 1)).rejects.toSatisfy((e: unknown) => e instanceof LosError && e.code === "LOS_E_DEVICE_DISCONNECTED");
    await waitFor(() => s.server.connections === 0, "socket closed");
    const again = await client(s.port);
    expect(await again.c.readRegisters(1, 3, 0, 1)).toEqual([0]);
  });

  const REWRITES: [string, (f: Buffer) => Buffer][] = [
    ["an unknown transaction id", (f) => (f.writeUInt16BE((f.readUInt16BE(0) + 100) & 0xffff, 0), f)],
    ["another unit id", (f) => ((f[6] = 7), f)],
    ["another function code", (f) => ((f[7] = 4), f)],
    ["a protocol id other than 0", (f) => (f.writeUInt16BE(1, 2), f)],
  ];
  it.each(REWRITES)("an answer with %s is LOS_E_DEVICE_BAD_FRAME", async (_what, rewrite) => {
    const s = await sim();
    const { c, lost } = await viaRelay(s, { rewrite });
    await expect(c.readRegisters(1, 3, 0, 1)).rejects.toSatisfy((e: unknown) => e instanceof LosError && e.code === "LOS_E_DEVICE_BAD_FRAME");
    expect(lost.map((e) => e.code)).toEqual(["LOS_E_DEVICE_BAD_FRAME"]);
    expect(c.isOpen).toBe(false);
  });

  it("a dropped connection fails everything in flight and waiting with LOS_E_DEVICE_DISCONNECTED", async () => {
    const s = await sim();
    const { c, lost } = await client(s.port, { maxInFlight: 2 });
    s.faults.set({ mode: "no-answer", unitId: 2 });
    s.faults.inject({ mode: "drop", unitId: 1, count: 1 });
    const codes = await Promise.allSettled([c.readRegisters(2, 3, 0, 1), c.readRegisters(1, 3, 0, 1), c.readRegisters(1, 3, 1, 1)]).then((rs) =>
      rs.map((r) => (r.status === "rejected" ? (r.reason as LosError).code : "ok")),
    );
    expect(codes).toEqual(Array(3).fill("LOS_E_DEVICE_DISCONNECTED"));
    expect(lost.map((e) => e.code)).toEqual(["LOS_E_DEVICE_DISCONNECTED"]);
  });

  it("close fails what is in flight with the reason given, without reporting a loss", async () => {
    const s = await sim();
    const { c, lost } = await client(s.port);
    s.faults.set({ mode: "no-answer" });
    const pending = c.readRegisters(1, 3, 0, 1);
    const waiting = c.readRegisters(1, 3, 1, 1);
    await waitFor(() => s.server.stats.requests === 1, "request on the wire");
    await c.close(new LosError("LOS_E_DRIVER_CLOSED"));
    for (const p of [pending, waiting]) await expect(p).rejects.toSatisfy((e: unknown) => e instanceof LosError && e.code === "LOS_E_DRIVER_CLOSED");
    expect(lost).toEqual([]);
    await waitFor(() => s.server.connections === 0, "socket closed");
  });
});
