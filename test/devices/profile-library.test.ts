/**
 * Every Modbus profile in devices/ is served by the simulator's profile model and read back through
 * the gateway's real Modbus driver and point codec over TCP: each point decodes to a finite value in
 * its range, the values stay in range as the model wanders, and writes to writable points round-trip.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import type { Value } from "../../src/core/types.js";
import { BUILTIN_PROFILES_DIR, loadProfileFile } from "../../src/config/profile-load.js";
import { resolvePoint, type CodecPoint } from "../../src/devices/codec.js";
import { ModbusDriver } from "../../src/devices/modbus/modbus-driver.js";
import { buildReadPlan, sliceBlock } from "../../src/devices/modbus/read-plan.js";
import { startModbusSimulator, type ModbusSimulator } from "../../simulators/modbus/simulator.js";
import { ProfileModel } from "../../simulators/models/profile-model.js";
import type { ModbusDeviceProfile, ModbusPoint } from "../../simulators/models/profile-model-ranges.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function modbusProfiles(): { file: string; profile: ModbusDeviceProfile }[] {
  const out: { file: string; profile: ModbusDeviceProfile }[] = [];
  for (const vendor of readdirSync(BUILTIN_PROFILES_DIR, { withFileTypes: true })) {
    if (!vendor.isDirectory()) continue;
    for (const f of readdirSync(join(BUILTIN_PROFILES_DIR, vendor.name))) {
      if (!f.endsWith(".yaml")) continue;
      const profile = loadProfileFile(join(BUILTIN_PROFILES_DIR, vendor.name, f)) as ModbusDeviceProfile;
      if (profile.protocol === "modbus") out.push({ file: `${vendor.name}/${f}`, profile });
    }
  }
  return out;
}

async function serve(profile: ModbusDeviceProfile): Promise<{ sim: ModbusSimulator; driver: ModbusDriver; model: ProfileModel }> {
  const sim = await startModbusSimulator({ transport: "tcp", model: "profile", profile, unitIds: [1], clock: new ManualClock(), seed: 7 });
  cleanups.push(() => sim.close());
  const driver = new ModbusDriver({ connection: { type: "modbus-tcp", host: "127.0.0.1", port: sim.port!, unitId: 1, timeoutMs: 1000 } });
  cleanups.push(() => driver.close());
  await driver.open();
  return { sim, driver, model: sim.model as ProfileModel };
}

function codecPoints(profile: ModbusDeviceProfile): CodecPoint[] {
  const d = profile.defaults;
  return profile.points.map((p) => resolvePoint(p, { byteOrder: d?.byteOrder, wordOrder: d?.wordOrder }));
}

/** Read every point with the gateway's merged read plan; fails on any block or decode error. */
async function readAll(driver: ModbusDriver, profile: ModbusDeviceProfile): Promise<Map<string, Value>> {
  const points = codecPoints(profile);
  const plan = buildReadPlan(points, { maxGap: profile.defaults?.maxGap, maxBlock: profile.defaults?.maxBlock });
  const results = await driver.read(1, plan.blocks);
  const values: (Value | null)[] = new Array(points.length).fill(null);
  const errors: (Error | undefined)[] = new Array(points.length).fill(undefined);
  plan.blocks.forEach((block, i) => {
    const r = results[i]!;
    if (!r.ok) throw r.error;
    sliceBlock(block, r.data, points, values, errors);
  });
  const out = new Map<string, Value>();
  points.forEach((p, i) => {
    if (errors[i]) throw errors[i];
    out.set(p.name, values[i]!);
  });
  return out;
}

/** Half a raw step of the point's type, the most a decoded value may differ from the model's. */
const slack = (p: ModbusPoint) => Math.abs(p.scale ?? 1) / 2 + 1e-6;

function expectPlausible(profile: ModbusDeviceProfile, model: ProfileModel, values: Map<string, Value>): void {
  const ranges = model.ranges();
  for (const p of profile.points) {
    const v = values.get(p.name);
    const where = `${profile.vendor}/${profile.model} ${p.name}`;
    if (typeof v === "boolean") continue;
    expect(typeof v, where).toBe("number");
    expect(Number.isFinite(v), where).toBe(true);
    const range = ranges[p.name]!;
    expect(v as number, where).toBeGreaterThanOrEqual(range.min - slack(p));
    expect(v as number, where).toBeLessThanOrEqual(range.max + slack(p));
    const env = p.writable ? p.envelope : undefined;
    if (env?.min !== undefined) expect(v as number, where).toBeGreaterThanOrEqual(env.min - slack(p));
    if (env?.max !== undefined) expect(v as number, where).toBeLessThanOrEqual(env.max + slack(p));
  }
}

/** A value inside the point's envelope that differs from what the model holds now. */
function writeTarget(p: ModbusPoint, current: Value): Value {
  if (typeof current === "boolean") return !current;
  const lo = p.envelope?.min ?? 0;
  const hi = p.envelope?.max ?? lo + 100;
  const scale = p.scale ?? 1;
  const candidate = Math.round((lo + (hi - lo) * 0.75) / scale) * scale;
  const target = candidate === current ? lo : candidate;
  return Number(target.toFixed(6));
}

const PROFILES = modbusProfiles();

describe("the profile library served by the profile model", () => {
  it("has the shipped Modbus profiles", () => {
    const files = PROFILES.map((p) => p.file);
    expect(files).toEqual(expect.arrayContaining(["eastron/sdm120.yaml", "eastron/sdm630.yaml", "generic/xy-md02.yaml", "abb/acs355.yaml"]));
  });

  for (const { file, profile } of PROFILES) {
    it(`${file}: every point decodes to a finite value in range, before and after the model moves`, async () => {
      const { sim, driver, model } = await serve(profile);
      expectPlausible(profile, model, await readAll(driver, profile));
      for (let i = 0; i < 20; i++) sim.step(30_000);
      expectPlausible(profile, model, await readAll(driver, profile));
    });

    const writable = profile.points.filter((p) => p.writable);
    if (writable.length === 0) continue;
    it(`${file}: writes to ${writable.length} writable point(s) round-trip and stay put`, async () => {
      const { sim, driver } = await serve(profile);
      const points = new Map(codecPoints(profile).map((c) => [c.name, c]));
      const before = await readAll(driver, profile);
      const wrote = new Map<string, Value>();
      for (const p of writable) {
        const value = writeTarget(p, before.get(p.name)!);
        await driver.write(1, points.get(p.name)!, value);
        wrote.set(p.name, value);
      }
      sim.step(60_000);
      const after = await readAll(driver, profile);
      for (const p of writable) {
        const v = after.get(p.name)!;
        const w = wrote.get(p.name)!;
        if (typeof w === "boolean") expect(v, p.name).toBe(w);
        else expect(Math.abs((v as number) - (w as number)), p.name).toBeLessThanOrEqual(slack(p));
      }
    });
  }
});

describe("plausible values of the shipped meters, sensor and drive", () => {
  const profile = (file: string) => PROFILES.find((p) => p.file === file)!.profile;

  it("SDM630: mains voltage, 50 Hz, power factor within 0..1, energy counters that only grow", async () => {
    const { sim, driver } = await serve(profile("eastron/sdm630.yaml"));
    const a = await readAll(driver, profile("eastron/sdm630.yaml"));
    for (const n of ["l1_voltage", "l2_voltage", "l3_voltage"]) expect(a.get(n) as number).toBeGreaterThan(200);
    expect(a.get("l1_l2_voltage") as number).toBeGreaterThan(380);
    expect(Math.abs((a.get("frequency") as number) - 50)).toBeLessThan(0.5);
    expect(a.get("total_power_factor") as number).toBeLessThanOrEqual(1);
    sim.step(600_000);
    const b = await readAll(driver, profile("eastron/sdm630.yaml"));
    expect(b.get("import_active_energy") as number).toBeGreaterThan(a.get("import_active_energy") as number);
  });

  it("XY-MD02: room temperature and humidity in tenths, unit id 1", async () => {
    const p = profile("generic/xy-md02.yaml");
    const { driver } = await serve(p);
    const v = await readAll(driver, p);
    expect(v.get("temperature") as number).toBeGreaterThanOrEqual(18);
    expect(v.get("temperature") as number).toBeLessThanOrEqual(28);
    expect(Number.isInteger(Math.round((v.get("humidity") as number) * 10))).toBe(true);
    expect(v.get("unit_id")).toBe(1);
  });

  it("ACS355: starts stopped (control word at its safe value, reference 0), no fault", async () => {
    const p = profile("abb/acs355.yaml");
    const { driver } = await serve(p);
    const v = await readAll(driver, p);
    expect(v.get("control_word")).toBe(1142);
    expect(v.get("speed_reference")).toBe(0);
    expect(v.get("last_fault")).toBe(0);
    expect(v.get("tripped")).toBe(false);
  });

  it("the bank declares only the mapped addresses: an unmapped register answers exception 02", async () => {
    const p = profile("generic/xy-md02.yaml");
    const { driver } = await serve(p);
    const [r] = await driver.read(1, [{ kind: "input", address: 0, count: 1 }]);
    expect(r!.ok).toBe(false);
    if (!r!.ok) expect(r!.error.details).toMatchObject({ exceptionCode: 2 });
  });
});
