/**
 * Modbus discovery against the simulator's profile model over TCP and over RTU (socat pty pair):
 * the unit ids served are found, each kind's readable ranges are exactly the ones the model's bank
 * declares, the draft YAML loads as a valid profile, and nothing reachable is
 * LOS_E_DISCOVERY_UNREACHABLE. The range prober's request bound is checked on its own.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { ManualClock } from "../../src/core/clock.js";
import { isLosError } from "../../src/core/errors.js";
import type { DeviceProfile } from "../../src/config/profile-schema.js";
import { BUILTIN_PROFILES_DIR, loadProfileFile } from "../../src/config/profile-load.js";
import { scanModbus, type ModbusScanResult } from "../../src/devices/discovery/modbus-scan.js";
import { draftProfilesYaml } from "../../src/devices/discovery/draft-profile.js";
import { probeRanges, type ProbeAnswer } from "../../src/devices/discovery/range-probe.js";
import { startModbusSimulator, type ModbusSimulator } from "../../simulators/modbus/simulator.js";
import { profileRanges } from "../../simulators/models/profile-model.js";
import type { ModbusDeviceProfile } from "../../simulators/models/profile-model-ranges.js";
import { createPtyPair } from "../../simulators/serial/pty-pair.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
const tmp = mkdtempSync(join(tmpdir(), "los-discovery-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A small device with every kind, a float32, a gap wider than maxGap and a bit field. */
const SMALL: ModbusDeviceProfile = {
  vendor: "test",
  model: "small",
  protocol: "modbus",
  source: "discovery test",
  defaults: { maxGap: 0 },
  points: [
    { name: "t", register: "input", address: 2, type: "int16", scale: 0.1, unit: "degC" },
    { name: "e", register: "input", address: 3, type: "float32", unit: "kWh" },
    { name: "status", register: "input", address: 20, type: "uint16", unit: "" },
    { name: "alarm", register: "input", address: 20, bit: 3 },
    { name: "sp", register: "holding", address: 0, type: "int16", unit: "degC", writable: true, envelope: { min: 5, max: 30, safeValue: 20 } },
    { name: "mode", register: "holding", address: 1, type: "uint16", unit: "", writable: true, envelope: { min: 0, max: 3 } },
    { name: "limit", register: "holding", address: 33, type: "uint32", unit: "W" },
    { name: "relay", register: "coil", address: 4, writable: true, envelope: { safeValue: false } },
    { name: "relay2", register: "coil", address: 5, writable: true, envelope: { safeValue: true } },
    { name: "door", register: "discrete", address: 9 },
  ],
};

function expectRangesOf(result: ModbusScanResult, unitId: number, profile: ModbusDeviceProfile, sim: ModbusSimulator): void {
  const unit = result.units.find((u) => u.unitId === unitId)!;
  const bank = sim.bank(unitId);
  const want = profileRanges(profile);
  for (const kind of ["holding", "input", "coil", "discrete"] as const) {
    const runs = unit.kinds[kind]!.runs;
    expect(runs.map((r) => ({ start: r.start, count: r.values.length })), `unit ${unitId} ${kind}`).toEqual(want[kind]);
    for (const r of runs) {
      const seen = kind === "coil" || kind === "discrete" ? bank.getBits(kind, r.start, r.values.length) : bank.getWords(kind, r.start, r.values.length);
      expect(r.values, `unit ${unitId} ${kind} values`).toEqual(seen);
    }
  }
}

/** Every document of the draft, saved and loaded as a profile file. */
function loadDrafts(yaml: string): DeviceProfile[] {
  return parseAllDocuments(yaml).map((doc, i) => {
    expect(doc.errors).toEqual([]);
    const file = join(tmp, `draft-${Date.now()}-${i}.yaml`);
    writeFileSync(file, doc.toString());
    return loadProfileFile(file);
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe("scan modbus over TCP", () => {
  it("finds the served unit ids and the exact readable ranges of a profile model; the drafts load", async () => {
    const sim = await startModbusSimulator({ transport: "tcp", model: "profile", profile: SMALL, unitIds: [2, 5], clock: new ManualClock() });
    cleanups.push(() => sim.close());
    const progress: number[] = [];
    const result = await scanModbus({
      target: { type: "tcp", host: "127.0.0.1", port: sim.port! },
      unitIds: [1, 2, 3, 4, 5, 6],
      maxAddress: 63,
      timeoutMs: 500,
      onProgress: (p) => progress.push(p.probed),
    });
    expect(result.units.map((u) => u.unitId)).toEqual([2, 5]);
    expect(progress).toEqual([1, 2, 3, 4, 5, 6]);
    expectRangesOf(result, 2, SMALL, sim);
    expectRangesOf(result, 5, SMALL, sim);
    // 4 kinds of 64 addresses: at most 2 × 64 requests each, plus one presence probe per unit id
    expect(result.requests).toBeLessThanOrEqual(6 + 2 * 4 * 2 * 64);

    const drafts = loadDrafts(draftProfilesYaml(result, "2025-01-02"));
    expect(drafts.map((d) => d.model)).toEqual(["unit-2", "unit-5"]);
    const d = drafts[0] as ModbusDeviceProfile;
    expect(d).toMatchObject({ vendor: "unknown", protocol: "modbus", source: `llmagentos scan modbus 127.0.0.1:${sim.port} on 2025-01-02` });
    // one point per readable address, with the registers as uint16 and a unit
    const words = (k: "input" | "holding") => profileRanges(SMALL)[k].reduce((n, r) => n + r.count, 0);
    expect(d.points.filter((p) => p.register === "holding")).toHaveLength(words("holding"));
    expect(d.points.filter((p) => p.register === "input").every((p) => p.type === "uint16" && p.unit === "")).toBe(true);
    expect(d.points.find((p) => p.register === "coil" && p.address === 5)).toBeDefined();
  });

  it("a shipped profile: the XY-MD02's two input registers and four holding registers", async () => {
    const profile = loadProfileFile(join(BUILTIN_PROFILES_DIR, "generic", "xy-md02.yaml")) as ModbusDeviceProfile;
    const sim = await startModbusSimulator({ transport: "tcp", model: "profile", profile, unitIds: [1], clock: new ManualClock() });
    cleanups.push(() => sim.close());
    const result = await scanModbus({ target: { type: "tcp", host: "127.0.0.1", port: sim.port! }, unitIds: [1], kinds: ["input", "holding"], maxAddress: 300 });
    const unit = result.units[0]!;
    expect(unit.kinds.input!.runs.map((r) => [r.start, r.values.length])).toEqual([[1, 2]]);
    expect(unit.kinds.holding!.runs.map((r) => [r.start, r.values.length])).toEqual([[257, 4]]);
    expect(unit.kinds.coil).toBeUndefined();
    expect(unit.kinds.holding!.runs[0]!.values[0]).toBe(1); // unit id register
  });

  it("a refused connection is LOS_E_DISCOVERY_UNREACHABLE", async () => {
    const port = await freePort();
    const err = await scanModbus({ target: { type: "tcp", host: "127.0.0.1", port }, unitIds: [1] }).catch((e: unknown) => e);
    expect(isLosError(err, "LOS_E_DISCOVERY_UNREACHABLE")).toBe(true);
  });

  it("a peer where no unit id answers is LOS_E_DISCOVERY_UNREACHABLE", async () => {
    const sim = await startModbusSimulator({ transport: "tcp", model: "profile", profile: SMALL, unitIds: [9], unknownUnit: "ignore", clock: new ManualClock() });
    cleanups.push(() => sim.close());
    const err = await scanModbus({ target: { type: "tcp", host: "127.0.0.1", port: sim.port! }, unitIds: [1, 2], timeoutMs: 100 }).catch((e: unknown) => e);
    expect(isLosError(err, "LOS_E_DISCOVERY_UNREACHABLE")).toBe(true);
    expect((err as Error).message).toMatch(/no unit id of 2 probed answered/);
  });
});

describe("scan modbus over RTU (socat pty pair)", () => {
  it("finds the two units on the bus (silent ids time out) and their exact ranges; drafts load", async () => {
    const pty = await createPtyPair();
    cleanups.push(() => pty.close());
    const sim = await startModbusSimulator({ transport: "rtu", path: pty.a, model: "profile", profile: SMALL, unitIds: [3, 4], clock: new ManualClock() });
    cleanups.push(() => sim.close());
    const result = await scanModbus({ target: { type: "rtu", path: pty.b, baudRate: 115200 }, unitIds: [1, 3, 4, 7], maxAddress: 40, timeoutMs: 150 });
    expect(result.units.map((u) => u.unitId)).toEqual([3, 4]);
    expectRangesOf(result, 3, SMALL, sim);
    expectRangesOf(result, 4, SMALL, sim);
    expect(loadDrafts(draftProfilesYaml(result, "2025-01-02")).map((d) => d.model)).toEqual(["unit-3", "unit-4"]);
  });

  it("a serial path that does not exist is LOS_E_DISCOVERY_UNREACHABLE", async () => {
    const err = await scanModbus({ target: { type: "rtu", path: join(tmp, "no-such-tty") }, unitIds: [1] }).catch((e: unknown) => e);
    expect(isLosError(err, "LOS_E_DISCOVERY_UNREACHABLE")).toBe(true);
  });
});

describe("range prober", () => {
  /** A device whose readable addresses are `readable`, refusing any block that touches another. */
  function device(readable: Set<number>, maxCount = Infinity) {
    let requests = 0;
    const read = (address: number, count: number): Promise<ProbeAnswer> => {
      requests++;
      for (let a = address; a < address + count; a++) if (!readable.has(a) || count > maxCount) return Promise.resolve({ ok: false, reason: "refused" });
      return Promise.resolve({ ok: true, data: Array.from({ length: count }, (_, i) => address + i) });
    };
    return { read, requests: () => requests };
  }

  it("finds scattered runs with at most 2n - 1 requests per block, values in place", async () => {
    const readable = new Set([0, 1, 2, 3, 50, 51, 99, 120, 121, 122, 123, 124, 125, 126]);
    const d = device(readable);
    const r = await probeRanges(d.read, { to: 199, maxBlock: 125 });
    expect(r.runs).toEqual([
      { start: 0, values: [0, 1, 2, 3] },
      { start: 50, values: [50, 51] },
      { start: 99, values: [99] },
      { start: 120, values: [120, 121, 122, 123, 124, 125, 126] }, // one run across the block boundary
    ]);
    expect(r.requests).toBe(d.requests());
    expect(r.requests).toBeLessThanOrEqual(2 * 125 - 1 + 2 * 75 - 1);
  });

  it("a fully readable span costs one request per block; a device limit on the count splits", async () => {
    const all = new Set(Array.from({ length: 300 }, (_, i) => i));
    const whole = await probeRanges(device(all).read, { to: 249, maxBlock: 125 });
    expect(whole.requests).toBe(2);
    expect(whole.runs).toEqual([{ start: 0, values: Array.from({ length: 250 }, (_, i) => i) }]);
    const limited = await probeRanges(device(all, 80).read, { to: 124, maxBlock: 125 });
    expect(limited.runs[0]!.values).toHaveLength(125);
    expect(limited.largestBlock).toBeLessThanOrEqual(80);
  });

  it("stops a kind at exception 01 and skips (does not split) a block that times out", async () => {
    const unsupported = await probeRanges(() => Promise.resolve({ ok: false, reason: "unsupported" }), { to: 999, maxBlock: 125 });
    expect(unsupported).toMatchObject({ supported: false, requests: 1, runs: [] });
    const silent = await probeRanges(() => Promise.resolve({ ok: false, reason: "timeout" }), { to: 249, maxBlock: 125 });
    expect(silent.requests).toBe(2);
    expect(silent.skipped).toEqual([
      { start: 0, count: 125 },
      { start: 125, count: 125 },
    ]);
  });
});
