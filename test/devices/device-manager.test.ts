import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { isLosError, type ErrorCode } from "../../src/core/errors.js";
import { silentLogger, type Reading } from "../../src/core/types.js";
import type { ModbusTcpConnection } from "../../src/config/connection-schema.js";
import type { DeviceProfile } from "../../src/config/profile-schema.js";
import { createDeviceManager, type DeviceManager, type DeviceStatus } from "../../src/devices/device-manager.js";
import type { PollerStats } from "../../src/devices/poller.js";
import type { AttachedDevice, DeviceSink, ProtocolAdapter } from "../../src/devices/protocol.js";
import type { FaultMode } from "../../simulators/modbus/faults.js";
import { startTcpSim, waitFor, type TcpSim } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const GREENHOUSE: DeviceProfile = {
  vendor: "test",
  model: "greenhouse",
  protocol: "modbus",
  source: "test fixture",
  defaults: { pollMs: 1000, refreshMs: 5000 },
  points: [
    { name: "temp", register: "input", address: 0, type: "int16", scale: 0.1, unit: "degC", deadband: 0.5 },
    { name: "rh", register: "input", address: 1, type: "uint16", scale: 0.1, unit: "%RH" },
    { name: "co2", register: "input", address: 2, type: "float32", unit: "ppm" },
    { name: "energy", register: "input", address: 6, type: "uint32", wordOrder: "little", unit: "kWh" },
    { name: "alarm", register: "input", address: 8, type: "bool", bit: 2 },
    { name: "setpoint", register: "holding", address: 0, type: "int16", scale: 0.1, writable: true, envelope: { min: 5, max: 35 } },
    { name: "vent", register: "holding", address: 1, type: "uint16", writable: true },
    { name: "fan", register: "coil", address: 0, writable: true },
    { name: "heater", register: "coil", address: 1, writable: true },
    { name: "door", register: "discrete", address: 0 },
  ],
};

function fill(sim: TcpSim, unit = 1) {
  const b = sim.bank(unit);
  b.setWords("input", 0, [215, 550]);
  b.writeValue("input", 2, "float32", 412.5);
  b.writeValue("input", 6, "uint32", 123456, { wordOrder: "little" });
  b.setWord("input", 8, 0b100);
  b.setWords("holding", 0, [200, 30]);
  b.setBits("coil", 0, [true, false]);
  b.setBit("discrete", 0, true);
}

function conn(sim: TcpSim, over: Partial<ModbusTcpConnection> = {}): ModbusTcpConnection {
  return { type: "modbus-tcp", host: "127.0.0.1", port: sim.port, unitId: 1, timeoutMs: 100, reconnectMinMs: 10, reconnectMaxMs: 20, ...over };
}

interface Harness {
  mgr: DeviceManager;
  clock: ManualClock;
  batches: { device: string; readings: Reading[] }[];
  statuses: { device: string; status: DeviceStatus }[];
  /** advance one poll interval and wait until the device has completed `n` cycles in total */
  cycle(n: number, device?: string): Promise<void>;
  latest(): Map<string, Reading>;
}

async function harness(devices: Parameters<typeof createDeviceManager>[0]["devices"], opts: { mergeReads?: boolean } = {}): Promise<Harness> {
  const clock = new ManualClock();
  const batches: Harness["batches"] = [];
  const statuses: Harness["statuses"] = [];
  const mgr = createDeviceManager({
    devices,
    clock,
    mergeReads: opts.mergeReads,
    onReadings: (device, readings) => batches.push({ device, readings }),
    onStatus: (device, status) => statuses.push({ device, status }),
  });
  cleanups.push(() => mgr.stop());
  await mgr.start();
  const first = devices[0]!.id;
  const cycles = (id: string) => mgr.health()[id]!.stats.cycles;
  const h: Harness = {
    mgr,
    clock,
    batches,
    statuses,
    async cycle(n, device = first) {
      if (n > 1) {
        // let a pending reconnect (10..20 ms) happen before the poll falls due
        clock.advance(100);
        await waitFor(() => mgr.health()[device]!.connected, "connected");
        clock.advance(900);
      } else {
        clock.advance(0);
      }
      await waitFor(() => cycles(device) >= n, `cycle ${n}`);
    },
    latest() {
      const m = new Map<string, Reading>();
      for (const b of batches) for (const r of b.readings) m.set(r.point, r);
      return m;
    },
  };
  return h;
}

describe("device manager: polling", () => {
  it("merged reads use fewer requests than one per point, with identical values", async () => {
    const sim = await startTcpSim();
    cleanups.push(() => sim.close());
    fill(sim);
    const merged = await harness([{ id: "gh", profile: GREENHOUSE, connection: conn(sim) }]);
    const single = await harness([{ id: "gh", profile: GREENHOUSE, connection: conn(sim) }], { mergeReads: false });
    await merged.cycle(1);
    await single.cycle(1);
    const a = merged.latest();
    const b = single.latest();
    expect(a.size).toBe(GREENHOUSE.points.length);
    expect(GREENHOUSE.points.map((p) => [p.name, a.get(`gh/${p.name}`)!.value, a.get(`gh/${p.name}`)!.quality])).toEqual(
      GREENHOUSE.points.map((p) => [p.name, b.get(`gh/${p.name}`)!.value, "good"]),
    );
    expect(Object.fromEntries([...a].map(([k, r]) => [k, r.value]))).toEqual({
      "gh/temp": 21.5,
      "gh/rh": 55,
      "gh/co2": 412.5,
      "gh/energy": 123456,
      "gh/alarm": true,
      "gh/setpoint": 20,
      "gh/vent": 30,
      "gh/fan": true,
      "gh/heater": false,
      "gh/door": true,
    });
    // coils, discretes, inputs, holdings: 4 blocks against 10 single-point requests
    expect(merged.mgr.stats().requests).toBe(4);
    expect(single.mgr.stats().requests).toBe(10);
    expect(merged.mgr.stats().pointsRead).toBe(10);
    expect(merged.batches).toHaveLength(1); // one batch per device per cycle
    expect(merged.statuses).toEqual([{ device: "gh", status: expect.objectContaining({ available: true }) }]);
  });

  it("points with different poll intervals are merged when due together", async () => {
    const sim = await startTcpSim();
    cleanups.push(() => sim.close());
    fill(sim);
    const profile: DeviceProfile = {
      ...GREENHOUSE,
      points: [
        { name: "temp", register: "input", address: 0, type: "int16", scale: 0.1, pollMs: 1000 },
        { name: "rh", register: "input", address: 1, type: "uint16", scale: 0.1, pollMs: 3000 },
      ],
    };
    const h = await harness([{ id: "gh", profile, connection: conn(sim) }]);
    const stats = () => h.mgr.health()["gh"]!.stats as PollerStats;
    await h.cycle(1);
    expect(stats().lastCycleRequests).toBe(1);
    expect(stats().pointsRead).toBe(2);
    await h.cycle(2);
    expect(stats().pointsRead).toBe(3); // only temp at t=1000
    await h.cycle(3);
    await h.cycle(4); // t=3000: both again, one request
    expect(stats().pointsRead).toBe(6);
    expect(stats().lastCycleRequests).toBe(1);
  });

  it("reports by exception: deadband on numbers, any change on booleans, refresh after refreshMs", async () => {
    const sim = await startTcpSim();
    cleanups.push(() => sim.close());
    fill(sim);
    const profile: DeviceProfile = {
      ...GREENHOUSE,
      points: [
        { name: "temp", register: "input", address: 0, type: "int16", scale: 0.1, deadband: 0.5 },
        { name: "fan", register: "coil", address: 0 },
      ],
    };
    const h = await harness([{ id: "gh", profile, connection: conn(sim) }]);
    const emittedIn = (from: number) => h.batches.slice(from).flatMap((b) => b.readings.map((r) => `${r.point}=${String(r.value)}`));
    await h.cycle(1); // t=0
    expect(emittedIn(0)).toEqual(["gh/fan=true", "gh/temp=21.5"]);
    let mark = h.batches.length;
    sim.bank(1).setWord("input", 0, 219); // +0.4: inside the deadband
    await h.cycle(2); // t=1000
    expect(emittedIn(mark)).toEqual([]);
    sim.bank(1).setWord("input", 0, 221); // +0.6 from the last emitted 21.5
    await h.cycle(3); // t=2000
    expect(emittedIn(mark)).toEqual(["gh/temp=22.1"]);
    mark = h.batches.length;
    sim.bank(1).setBit("coil", 0, false);
    await h.cycle(4); // t=3000
    expect(emittedIn(mark)).toEqual(["gh/fan=false"]);
    mark = h.batches.length;
    await h.cycle(5); // t=4000
    await h.cycle(6); // t=5000
    expect(emittedIn(mark)).toEqual([]);
    await h.cycle(7); // t=6000: nothing since temp was last sent at 2000… until 7000
    expect(emittedIn(mark)).toEqual([]);
    await h.cycle(8); // t=7000: temp refresh (5000 after 2000)
    expect(emittedIn(mark)).toEqual(["gh/temp=22.1"]);
    await h.cycle(9); // t=8000: fan refresh
    expect(emittedIn(mark)).toEqual(["gh/temp=22.1", "gh/fan=false"]);
    // never more than one batch per cycle
    expect(h.batches.length).toBeLessThanOrEqual(9);
  });
});

describe("device manager: availability under faults", () => {
  const CASES: [FaultMode, ErrorCode][] = [
    ["no-answer", "LOS_E_DEVICE_TIMEOUT"],
    ["exception", "LOS_E_DEVICE_EXCEPTION"],
    ["garbage", "LOS_E_DEVICE_BAD_FRAME"],
    ["bad-crc", "LOS_E_DEVICE_BAD_FRAME"],
    ["truncated", "LOS_E_DEVICE_BAD_FRAME"],
    ["drop", "LOS_E_DEVICE_DISCONNECTED"],
  ];
  it.each(CASES)("%s: unavailable after 3 failed cycles with %s, bad readings once, recovery when cleared", async (mode, code) => {
    const sim = await startTcpSim([1, 2]);
    cleanups.push(() => sim.close());
    fill(sim, 1);
    fill(sim, 2);
    const h = await harness([
      { id: "gh", profile: GREENHOUSE, connection: conn(sim, { unitId: 1 }) },
      { id: "gh2", profile: GREENHOUSE, connection: conn(sim, { unitId: 2 }) },
    ]);
    await h.cycle(1);
    await waitFor(() => h.mgr.health()["gh2"]!.stats.cycles >= 1, "gh2 first cycle");
    const mark = h.batches.length;
    sim.faults.set({ mode, unitId: mode === "drop" ? undefined : 1 });
    await h.cycle(2);
    await h.cycle(3);
    expect(h.statuses.filter((s) => s.device === "gh").map((s) => s.status.available)).toEqual([true]);
    await h.cycle(4);
    const gh = h.statuses.filter((s) => s.device === "gh");
    expect(gh.map((s) => s.status.available)).toEqual([true, false]);
    expect(gh[1]!.status.error).toBe(code);
    const bad = h.batches.slice(mark).filter((b) => b.device === "gh").flatMap((b) => b.readings);
    expect(bad).toHaveLength(GREENHOUSE.points.length);
    expect(bad.every((r) => r.quality === "bad" && r.value === null && r.error === code)).toBe(true);
    expect(h.mgr.health()["gh"]).toMatchObject({ available: false, consecutiveFailures: 3 });
    // the other unit on the same connection is fine, unless the fault forced the shared TCP socket
    // to be rebuilt (dropped, or desynchronised by a bad frame)
    if (mode === "no-answer" || mode === "exception") expect(h.mgr.health()["gh2"]!.available).toBe(true);

    await h.cycle(5); // still failing: no repeated bad readings
    expect(h.batches.slice(mark).filter((b) => b.device === "gh").flatMap((b) => b.readings)).toHaveLength(GREENHOUSE.points.length);

    sim.faults.clear();
    await h.cycle(6);
    const after = h.statuses.filter((s) => s.device === "gh");
    expect(after.map((s) => s.status.available)).toEqual([true, false, true]);
    const latest = h.latest();
    expect(latest.get("gh/temp")).toMatchObject({ value: 21.5, quality: "good" });
    expect(GREENHOUSE.points.every((p) => latest.get(`gh/${p.name}`)!.quality === "good")).toBe(true);
    expect(h.mgr.stats().failures).toBeGreaterThan(0);
  });

  it("an exception on one block marks only its points bad; the device stays available", async () => {
    const sim = await startTcpSim();
    cleanups.push(() => sim.close());
    fill(sim);
    const h = await harness([{ id: "gh", profile: GREENHOUSE, connection: conn(sim) }]);
    sim.faults.set({ mode: "exception", exceptionCode: 2, functionCodes: [1] }); // coils only
    await h.cycle(1);
    const latest = h.latest();
    expect(latest.get("gh/fan")).toMatchObject({ quality: "bad", error: "LOS_E_DEVICE_EXCEPTION" });
    expect(latest.get("gh/temp")).toMatchObject({ quality: "good", value: 21.5 });
    expect(h.statuses.map((s) => s.status.available)).toEqual([true]);
  });
});

describe("device manager: writes and configuration", () => {
  async function one() {
    const sim = await startTcpSim();
    cleanups.push(() => sim.close());
    fill(sim);
    const h = await harness([{ id: "gh", tenant: "acme", profile: GREENHOUSE, connection: conn(sim) }]);
    return { sim, h };
  }
  const rejectsWith = async (p: Promise<unknown>, code: ErrorCode) => {
    await expect(p).rejects.toSatisfy((e: unknown) => isLosError(e, code));
  };

  it("writes through the driver and validates device, point, writability and type", async () => {
    const { sim, h } = await one();
    await h.mgr.write("gh", "setpoint", 22.5);
    expect(sim.bank(1).getWord("holding", 0)).toBe(225);
    await h.mgr.write("gh", "fan", false);
    expect(sim.bank(1).getBit("coil", 0)).toBe(false);
    await rejectsWith(h.mgr.write("nope", "fan", true), "LOS_E_DEVICE_UNKNOWN");
    await rejectsWith(h.mgr.write("gh", "nope", true), "LOS_E_POINT_UNKNOWN");
    await rejectsWith(h.mgr.write("gh", "temp", 1), "LOS_E_WRITE_READ_ONLY");
    await rejectsWith(h.mgr.write("gh", "door", true), "LOS_E_WRITE_READ_ONLY");
    await rejectsWith(h.mgr.write("gh", "fan", 1), "LOS_E_WRITE_TYPE");
    await rejectsWith(h.mgr.write("gh", "setpoint", "22"), "LOS_E_WRITE_TYPE");
    await rejectsWith(h.mgr.write("gh", "setpoint", Number.NaN), "LOS_E_WRITE_TYPE");
    await rejectsWith(h.mgr.write("gh", "vent", 70000), "LOS_E_CODEC");
    sim.faults.set({ mode: "exception", exceptionCode: 3 });
    await expect(h.mgr.write("gh", "vent", 5)).rejects.toSatisfy(
      (e: unknown) => isLosError(e, "LOS_E_WRITE_FAILED") && e.details.deviceError === "LOS_E_DEVICE_EXCEPTION",
    );
  });

  it("describes its devices and points", async () => {
    const { h } = await one();
    expect(h.mgr.point("gh", "setpoint")?.envelope).toEqual({ min: 5, max: 35 });
    expect(h.mgr.point("gh", "nope")).toBeUndefined();
    expect(h.mgr.devices()).toEqual([
      expect.objectContaining({ id: "gh", tenant: "acme", protocol: "modbus", address: "unit 1", vendor: "test", model: "greenhouse", points: 10 }),
    ]);
    expect(h.mgr.stats()).toMatchObject({ devices: 1, connections: 1 });
  });

  it("refuses two devices on one unit id of one connection, and duplicate ids", async () => {
    const c: ModbusTcpConnection = { type: "modbus-tcp", host: "127.0.0.1", port: 1502, unitId: 1 };
    const make = (devices: Parameters<typeof createDeviceManager>[0]["devices"]) => () =>
      createDeviceManager({ devices, onReadings: () => {}, onStatus: () => {} });
    expect(make([{ id: "a", profile: GREENHOUSE, connection: c }, { id: "b", profile: GREENHOUSE, connection: c }])).toThrow(/unit id 1/);
    expect(make([{ id: "a", profile: GREENHOUSE, connection: c }, { id: "a", profile: GREENHOUSE, connection: { ...c, unitId: 2 } }])).toThrow(
      /twice/,
    );
  });

  it("stop() is clean and later writes are refused", async () => {
    const { h } = await one();
    await h.cycle(1);
    await h.mgr.stop();
    await rejectsWith(h.mgr.write("gh", "fan", true), "LOS_E_DRIVER_CLOSED");
  });

  it("hands its one abort signal to many channels without a MaxListenersExceeded warning, and aborts them all on stop", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    cleanups.push(async () => void process.off("warning", onWarning));
    let aborted = 0;
    const devices = Array.from({ length: 30 }, (_, i) => ({
      id: `d${i}`,
      profile: GREENHOUSE,
      connection: { type: "modbus-tcp" as const, host: "127.0.0.1", port: 20_000 + i, unitId: 1 },
    }));
    const mgr = createDeviceManager({
      devices,
      clock: new ManualClock(0),
      onReadings: () => {},
      onStatus: () => {},
      adapters: new Map([["modbus", countingAdapter(() => aborted++)]]),
    });
    await mgr.start();
    await new Promise((r) => setTimeout(r, 0)); // warnings are emitted on the next tick
    expect(warnings).not.toContain("MaxListenersExceededWarning");
    await mgr.stop();
    expect(aborted).toBe(30);
  });
});

describe("device manager: the sink adapters report to", () => {
  it("never throws into an adapter: a consumer that throws is logged and the next report still arrives", () => {
    const sinks: DeviceSink[] = [];
    const errors: string[] = [];
    const logger = { ...silentLogger, error: (_o: object | string, msg?: string) => void errors.push(msg ?? ""), child: () => logger };
    let delivered = 0;
    createDeviceManager({
      devices: [{ id: "d1", profile: GREENHOUSE, connection: { type: "modbus-tcp", host: "127.0.0.1", port: 1, unitId: 1 } }],
      logger,
      onReadings: () => {
        delivered++;
        if (delivered === 1) throw new Error("consumer bug");
      },
      onStatus: () => {
        throw new Error("consumer bug");
      },
      adapters: new Map([["modbus", capturingAdapter(sinks)]]),
    });
    const reading: Reading = { point: "d1/temperature", value: 20, quality: "good", ts: 0 };
    expect(() => sinks[0]!.onReadings("d1", [reading])).not.toThrow();
    expect(() => sinks[0]!.onStatus("d1", { available: true, ts: 0 })).not.toThrow();
    sinks[0]!.onReadings("d1", [reading]);
    expect(delivered).toBe(2);
    expect(errors).toEqual(["onReadings threw", "onStatus threw"]);
  });
});

/** A protocol adapter whose channels only count the aborts of the signal they are opened with. */
function countingAdapter(onAbort: () => void): ProtocolAdapter {
  return {
    protocol: "modbus",
    createChannel: (c) => ({
      key: `tcp://${c.type === "modbus-tcp" ? c.port : 0}`,
      attach: () => idleDevice(),
      open: async (signal) => void signal.addEventListener("abort", () => onAbort(), { once: true }),
      close: async () => {},
      health: () => ({ connected: true, requests: 0, failures: 0, reconnects: 0, dropped: 0, coalesced: 0, queued: 0 }),
    }),
  };
}

/** A protocol adapter that keeps the sink each device is attached with. */
function capturingAdapter(sinks: DeviceSink[]): ProtocolAdapter {
  const base = countingAdapter(() => {});
  return {
    protocol: "modbus",
    createChannel: (connection, context) => ({
      ...base.createChannel(connection, context),
      attach: (_device, sink) => {
        sinks.push(sink);
        return idleDevice();
      },
    }),
  };
}

/** An attached device that does nothing. */
function idleDevice(): AttachedDevice {
  return {
    address: "unit 1",
    start: () => {},
    stop: async () => {},
    write: async () => {},
    stats: () => ({ available: undefined, consecutiveFailures: 0, cycles: 0, pointsRead: 0, readingsEmitted: 0, pointsPerSecond: 0 }),
  };
}
