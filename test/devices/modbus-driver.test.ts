import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { isLosError } from "../../src/core/errors.js";
import type { ModbusTcpConnection } from "../../src/config/connection-schema.js";
import { resolvePoint } from "../../src/devices/codec.js";
import type { BlockResult } from "../../src/devices/driver.js";
import { ModbusDriver } from "../../src/devices/modbus/modbus-driver.js";
import type { ReadBlock } from "../../src/devices/modbus/read-plan.js";
import type { FaultMode } from "../../simulators/modbus/faults.js";
import { startTcpSim, waitFor, type TcpSim } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function tcp(port: number, over: Partial<ModbusTcpConnection> = {}): ModbusTcpConnection {
  return { type: "modbus-tcp", host: "127.0.0.1", port, unitId: 1, timeoutMs: 150, reconnectMinMs: 10, reconnectMaxMs: 50, ...over };
}

async function setup(over: Partial<ModbusTcpConnection> = {}, unitIds = [1]) {
  const sim = await startTcpSim(unitIds);
  cleanups.push(() => sim.close());
  const driver = new ModbusDriver({ connection: tcp(sim.port, over) });
  cleanups.push(() => driver.close());
  await driver.open();
  return { sim, driver };
}

const HOLD4: ReadBlock[] = [{ kind: "holding", address: 0, count: 4 }];

function errorOf(r: BlockResult | undefined) {
  if (!r || r.ok) throw new Error(`expected a failed block, got ${JSON.stringify(r)}`);
  return r.error;
}

describe("modbus driver over TCP", () => {
  it("reads every register kind from several unit ids on one connection", async () => {
    const { sim, driver } = await setup({}, [1, 2]);
    sim.bank(1).setWords("holding", 10, [100, 101]);
    sim.bank(2).setWords("holding", 10, [200, 201]);
    sim.bank(1).setWords("input", 0, [7]);
    sim.bank(1).setBits("coil", 3, [true, false, true]);
    sim.bank(1).setBits("discrete", 0, [false, true]);
    const r1 = await driver.read(1, [
      { kind: "holding", address: 10, count: 2 },
      { kind: "input", address: 0, count: 1 },
      { kind: "coil", address: 3, count: 3 },
      { kind: "discrete", address: 0, count: 2 },
    ]);
    expect(r1.map((r) => (r.ok ? r.data : r.error.code))).toEqual([[100, 101], [7], [true, false, true], [false, true]]);
    const r2 = await driver.read(2, [{ kind: "holding", address: 10, count: 2 }]);
    expect(r2[0]!.ok && r2[0]!.data).toEqual([200, 201]);
    expect(driver.health()).toMatchObject({ connected: true, requests: 5, failures: 0 });
  });

  const FAULTS: [FaultMode, string][] = [
    ["no-answer", "LOS_E_DEVICE_TIMEOUT"],
    ["slow", "LOS_E_DEVICE_TIMEOUT"],
    ["exception", "LOS_E_DEVICE_EXCEPTION"],
    ["drop", "LOS_E_DEVICE_DISCONNECTED"],
    ["garbage", "LOS_E_DEVICE_BAD_FRAME"],
    ["bad-crc", "LOS_E_DEVICE_BAD_FRAME"],
    ["truncated", "LOS_E_DEVICE_BAD_FRAME"],
  ];
  it.each(FAULTS)("fault %s becomes %s, and the next read after it clears succeeds", async (mode, code) => {
    const { sim, driver } = await setup();
    sim.bank(1).setWords("holding", 0, [1, 2, 3, 4]);
    sim.faults.set({ mode, count: 1, exceptionCode: 2, delayMs: 1000 });
    const err = errorOf((await driver.read(1, HOLD4))[0]);
    expect(err.code).toBe(code);
    if (mode === "exception") expect(err.details).toMatchObject({ exceptionCode: 2, exceptionName: "ILLEGAL_DATA_ADDRESS", unitId: 1 });
    expect(driver.health().lastError?.code).toBe(code);
    await waitFor(() => driver.health().connected, "reconnect");
    const ok = (await driver.read(1, HOLD4))[0]!;
    expect(ok.ok && ok.data).toEqual([1, 2, 3, 4]);
  });

  it("after a timeout, the rest of the batch for that unit fails without using the bus", async () => {
    const { sim, driver } = await setup();
    sim.faults.set({ mode: "no-answer" });
    const before = sim.server.stats.requests;
    const results = await driver.read(1, [
      { kind: "holding", address: 0, count: 1 },
      { kind: "input", address: 0, count: 1 },
      { kind: "coil", address: 0, count: 1 },
    ]);
    expect(results.map((r) => (r.ok ? "ok" : r.error.code))).toEqual(Array(3).fill("LOS_E_DEVICE_TIMEOUT"));
    expect(sim.server.stats.requests - before).toBe(1);
    expect(driver.health().requests).toBe(1);
  });

  it("writes coils, registers, multi-register values and bit fields (read-modify-write)", async () => {
    const { sim, driver } = await setup();
    const b = sim.bank(1);
    await driver.write(1, resolvePoint({ name: "c", register: "coil", address: 4 }), true);
    expect(b.getBit("coil", 4)).toBe(true);
    await driver.write(1, resolvePoint({ name: "sp", register: "holding", address: 1, type: "int16", scale: 0.1 }), -12.3);
    expect(b.getWord("holding", 1)).toBe(0xffff - 123 + 1);
    await driver.write(1, resolvePoint({ name: "f", register: "holding", address: 2, type: "float32", wordOrder: "little" }), 123.456);
    expect(b.getWords("holding", 2, 2)).toEqual([0xe979, 0x42f6]);
    b.setWord("holding", 9, 0x0100);
    await driver.write(1, resolvePoint({ name: "bit", register: "holding", address: 9, type: "bool", bit: 3 }), true);
    expect(b.getWord("holding", 9)).toBe(0x0108);
    await expect(driver.write(1, resolvePoint({ name: "u", register: "holding", address: 0 }), 70000)).rejects.toSatisfy((e: unknown) =>
      isLosError(e, "LOS_E_CODEC"),
    );
  });

  it("an exception on a write is a coded error", async () => {
    const { sim, driver } = await setup();
    sim.faults.set({ mode: "exception", exceptionCode: 3 });
    await expect(driver.write(1, resolvePoint({ name: "x", register: "holding", address: 0 }), 5)).rejects.toSatisfy(
      (e: unknown) => isLosError(e, "LOS_E_DEVICE_EXCEPTION") && e.details.exceptionName === "ILLEGAL_DATA_VALUE",
    );
  });

  it("writes jump ahead of queued polls", async () => {
    const { sim, driver } = await setup();
    sim.bank(1).setWords("holding", 0, [1, 2, 3, 4]);
    const order: string[] = [];
    const polls = [0, 1, 2, 3].map((i) =>
      driver.read(1, [{ kind: "holding", address: i, count: 1 }], { coalesce: false }).then(() => order.push(`poll${i}`)),
    );
    const write = driver.write(1, resolvePoint({ name: "w", register: "holding", address: 20 }), 9).then(() => order.push("write"));
    await Promise.all([...polls, write]);
    // poll0 was already on the wire; the write goes before every poll still waiting
    expect(order).toEqual(["poll0", "write", "poll1", "poll2", "poll3"]);
    expect(sim.bank(1).getWord("holding", 20)).toBe(9);
  });

  it("reads while disconnected fail at once with LOS_E_DEVICE_DISCONNECTED", async () => {
    const sim = await startTcpSim();
    const port = sim.port;
    await sim.close();
    const driver = new ModbusDriver({ connection: tcp(port) });
    cleanups.push(() => driver.close());
    await driver.open(); // resolves although the peer is down
    expect(driver.health().connected).toBe(false);
    expect(driver.health().lastError?.code).toBe("LOS_E_DEVICE_DISCONNECTED");
    expect(errorOf((await driver.read(1, HOLD4))[0]).code).toBe("LOS_E_DEVICE_DISCONNECTED");
  });

  it("close rejects queued requests with LOS_E_DRIVER_CLOSED", async () => {
    const { sim, driver } = await setup({ timeoutMs: 2000 });
    sim.faults.set({ mode: "no-answer" });
    const pending = driver.read(1, [
      { kind: "holding", address: 0, count: 1 },
      { kind: "holding", address: 5, count: 1 },
    ]);
    const write = driver.write(1, resolvePoint({ name: "w", register: "holding", address: 20 }), 9);
    await waitFor(() => sim.server.stats.requests >= 1, "first request on the wire");
    await driver.close();
    const results = await pending;
    expect(results.map((r) => (r.ok ? "ok" : r.error.code))).toEqual(["LOS_E_DRIVER_CLOSED", "LOS_E_DRIVER_CLOSED"]);
    await expect(write).rejects.toSatisfy((e: unknown) => isLosError(e, "LOS_E_DRIVER_CLOSED"));
  });
});

describe("reconnect with exponential backoff", () => {
  it("retries on the injected clock at min·2^n (capped), then resumes", async () => {
    let sim: TcpSim | undefined = await startTcpSim();
    const port = sim.port;
    cleanups.push(() => sim?.close() ?? Promise.resolve());
    const clock = new ManualClock();
    const changes: boolean[] = [];
    const driver = new ModbusDriver({
      connection: tcp(port, { reconnectMinMs: 100, reconnectMaxMs: 400 }),
      clock,
      random: () => 0.9999999, // no jitter: delay = base
      onConnectionChange: (c) => changes.push(c),
    });
    cleanups.push(() => driver.close());
    await driver.open();
    expect(driver.health().connected).toBe(true);

    await sim.close();
    sim = undefined;
    await waitFor(() => !driver.health().connected, "disconnect noticed");
    expect(driver.attempt).toBe(1); // first retry scheduled in 100 ms
    clock.advance(99);
    expect(driver.attempt).toBe(1);
    clock.advance(1);
    await waitFor(() => driver.attempt === 2, "second retry scheduled"); // refused → 200 ms
    clock.advance(199);
    expect(driver.attempt).toBe(2);
    clock.advance(1);
    await waitFor(() => driver.attempt === 3, "third retry scheduled"); // refused → 400 ms
    clock.advance(400);
    await waitFor(() => driver.attempt === 4, "fourth retry scheduled"); // capped at 400 ms

    sim = await startTcpSim([1], { port });
    sim.bank(1).setWords("holding", 0, [5, 6, 7, 8]);
    clock.advance(400);
    await waitFor(() => driver.health().connected, "reconnected");
    expect(driver.attempt).toBe(0);
    expect(driver.health().reconnects).toBe(1);
    expect(changes).toEqual([true, false, true]);
    const r = (await driver.read(1, HOLD4))[0]!;
    expect(r.ok && r.data).toEqual([5, 6, 7, 8]);
  });
});
