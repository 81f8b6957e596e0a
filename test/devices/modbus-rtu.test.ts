import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isLosError } from "../../src/core/errors.js";
import type { ModbusRtuConnection } from "../../src/config/connection-schema.js";
import { resolvePoint } from "../../src/devices/codec.js";
import { ModbusDriver } from "../../src/devices/modbus/modbus-driver.js";
import type { ReadBlock } from "../../src/devices/modbus/read-plan.js";
import { createDeviceManager } from "../../src/devices/device-manager.js";
import type { Reading } from "../../src/core/types.js";
import { startModbusRtuServer, type ModbusRtuServer } from "../../simulators/modbus/rtu-server.js";
import { RegisterBank } from "../../simulators/modbus/register-bank.js";
import { FaultInjector, type FaultMode } from "../../simulators/modbus/faults.js";
import { createPtyPair, type PtyPair } from "../../simulators/serial/pty-pair.js";
import { waitFor } from "./helpers.js";

let pty: PtyPair;
let server: ModbusRtuServer;
let faults: FaultInjector;
let banks: Map<number, RegisterBank>;
const cleanups: (() => Promise<void>)[] = [];

beforeEach(async () => {
  pty = await createPtyPair();
  banks = new Map([
    [1, new RegisterBank()],
    [2, new RegisterBank()],
  ]);
  faults = new FaultInjector();
  server = await startModbusRtuServer({ path: pty.a, banks, faults });
});

afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
  await server.close();
  await pty.close();
});

function rtu(over: Partial<ModbusRtuConnection> = {}): ModbusRtuConnection {
  return { type: "modbus-rtu", path: pty.b, baudRate: 115200, unitId: 1, timeoutMs: 150, ...over };
}

async function driver() {
  const d = new ModbusDriver({ connection: rtu() });
  cleanups.push(() => d.close());
  await d.open();
  return d;
}

const HOLD2: ReadBlock[] = [{ kind: "holding", address: 0, count: 2 }];

describe("modbus driver over RTU (socat pty pair)", () => {
  it("serves two unit ids on one bus, reads and writes", async () => {
    banks.get(1)!.setWords("holding", 0, [11, 12]);
    banks.get(2)!.setWords("holding", 0, [21, 22]);
    const d = await driver();
    expect(d.health().connected).toBe(true);
    const [a, b] = await Promise.all([d.read(1, HOLD2), d.read(2, HOLD2)]);
    expect(a[0]!.ok && a[0]!.data).toEqual([11, 12]);
    expect(b[0]!.ok && b[0]!.data).toEqual([21, 22]);
    await d.write(2, resolvePoint({ name: "c", register: "coil", address: 1 }), true);
    await d.write(1, resolvePoint({ name: "f", register: "holding", address: 4, type: "float32" }), 1.5);
    expect(banks.get(2)!.getBit("coil", 1)).toBe(true);
    expect(banks.get(1)!.getWords("holding", 4, 2)).toEqual([0x3fc0, 0]);
  });

  const FAULTS: [FaultMode, string][] = [
    ["no-answer", "LOS_E_DEVICE_TIMEOUT"],
    ["drop", "LOS_E_DEVICE_TIMEOUT"], // a slave that fell off the bus is silent
    ["exception", "LOS_E_DEVICE_EXCEPTION"],
    ["bad-crc", "LOS_E_DEVICE_BAD_FRAME"],
    ["truncated", "LOS_E_DEVICE_BAD_FRAME"],
    ["garbage", "LOS_E_DEVICE_BAD_FRAME"],
  ];
  it.each(FAULTS)("fault %s on one unit becomes %s; the other unit and later reads are fine", async (mode, code) => {
    banks.get(1)!.setWords("holding", 0, [11, 12]);
    banks.get(2)!.setWords("holding", 0, [21, 22]);
    const d = await driver();
    faults.set({ mode, unitId: 1, count: 1, exceptionCode: 6, garbageLength: 12 });
    const bad = (await d.read(1, HOLD2))[0]!;
    expect(bad.ok ? "ok" : bad.error.code).toBe(code);
    if (!bad.ok && mode === "exception") expect(bad.error.details.exceptionName).toBe("SERVER_DEVICE_BUSY");
    const other = (await d.read(2, HOLD2))[0]!;
    expect(other.ok && other.data).toEqual([21, 22]);
    const again = (await d.read(1, HOLD2))[0]!;
    expect(again.ok && again.data).toEqual([11, 12]);
    expect(d.health().connected).toBe(true);
  });

  it("a missing serial port is LOS_E_DEVICE_DISCONNECTED, retried in the background", async () => {
    const d = new ModbusDriver({ connection: rtu({ path: `${pty.b}-missing`, reconnectMinMs: 1000 }) });
    cleanups.push(() => d.close());
    await d.open();
    expect(d.health()).toMatchObject({ connected: false, lastError: { code: "LOS_E_DEVICE_DISCONNECTED" } });
    const r = (await d.read(1, HOLD2))[0]!;
    expect(!r.ok && isLosError(r.error, "LOS_E_DEVICE_DISCONNECTED")).toBe(true);
  });
});

describe("device manager on an RTU bus", () => {
  it("polls two devices sharing one serial driver", async () => {
    banks.get(1)!.setWords("input", 0, [215]);
    banks.get(2)!.setWords("input", 0, [230]);
    const profile = {
      vendor: "test",
      model: "t",
      protocol: "modbus" as const,
      source: "test",
      defaults: { pollMs: 50 },
      points: [{ name: "temp", register: "input" as const, address: 0, type: "int16" as const, scale: 0.1, unit: "degC" }],
    };
    const got = new Map<string, Reading>();
    const mgr = createDeviceManager({
      devices: [
        { id: "t1", profile, connection: rtu({ unitId: 1 }) },
        { id: "t2", profile, connection: rtu({ unitId: 2 }) },
      ],
      onReadings: (_id, rs) => rs.forEach((r) => got.set(r.point, r)),
      onStatus: () => {},
    });
    cleanups.push(() => mgr.stop());
    expect(mgr.stats().connections).toBe(1);
    await mgr.start();
    await waitFor(() => got.size === 2, "readings of both devices");
    expect(got.get("t1/temp")).toMatchObject({ value: 21.5, quality: "good" });
    expect(got.get("t2/temp")).toMatchObject({ value: 23, quality: "good" });
  });
});
