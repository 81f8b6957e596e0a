/**
 * End to end against the project's simulator (`startModbusSimulator`, greenhouse model) with the
 * shipped profile devices/llmagentos/greenhouse-sim.yaml, over TCP and over an RTU pty pair.
 */
import { afterEach, describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { ManualClock } from "../../src/core/clock.js";
import type { Reading } from "../../src/core/types.js";
import { loadProfileFile } from "../../src/config/profile-load.js";
import { createDeviceManager, type ResolvedDevice } from "../../src/devices/device-manager.js";
import { startModbusSimulator } from "../../simulators/modbus/simulator.js";
import { createPtyPair } from "../../simulators/serial/pty-pair.js";
import { waitFor } from "./helpers.js";

const PROFILE = loadProfileFile(fileURLToPath(new URL("../../devices/llmagentos/greenhouse-sim.yaml", import.meta.url)));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Run one poll cycle of every device and return the latest reading per point. */
async function pollOnce(devices: ResolvedDevice[], mergeReads: boolean) {
  const clock = new ManualClock();
  const latest = new Map<string, Reading>();
  const mgr = createDeviceManager({
    devices,
    clock,
    mergeReads,
    onReadings: (_d, rs) => rs.forEach((r) => latest.set(r.point, r)),
    onStatus: () => {},
  });
  cleanups.push(() => mgr.stop());
  await mgr.start();
  clock.advance(0);
  await waitFor(() => devices.every((d) => mgr.health()[d.id]!.stats.cycles >= 1), "first cycle");
  return { mgr, latest };
}

describe("greenhouse simulator with the shipped profile", () => {
  it("TCP: merged polling reads every point with fewer requests than one per point, identical values", async () => {
    // the simulator's own clock is never advanced: the model holds still between the two runs
    const sim = await startModbusSimulator({ transport: "tcp", model: "greenhouse", unitIds: [1], clock: new ManualClock() });
    cleanups.push(() => sim.close());
    const device: ResolvedDevice = {
      id: "gh",
      profile: PROFILE,
      connection: { type: "modbus-tcp", host: "127.0.0.1", port: sim.port!, unitId: 1, timeoutMs: 500 },
    };
    const merged = await pollOnce([device], true);
    const single = await pollOnce([device], false);
    expect(merged.latest.size).toBe(PROFILE.points.length);
    for (const p of PROFILE.points) {
      const a = merged.latest.get(`gh/${p.name}`)!;
      expect(a.quality, p.name).toBe("good");
      expect(a.value, p.name).toEqual(single.latest.get(`gh/${p.name}`)!.value);
    }
    const m = merged.mgr.stats().requests;
    const s = single.mgr.stats().requests;
    expect(s).toBe(PROFILE.points.length);
    expect(m).toBeLessThan(s);
    // the status bits agree with the status word they come from
    const status = merged.latest.get("gh/status")!.value as number;
    expect(merged.latest.get("gh/fan_on")!.value).toBe((status & 2) !== 0);
  });

  it("RTU: two greenhouse units on one bus", async () => {
    const pty = await createPtyPair();
    cleanups.push(() => pty.close());
    const sim = await startModbusSimulator({ transport: "rtu", path: pty.a, model: "greenhouse", unitIds: [3, 4], clock: new ManualClock() });
    cleanups.push(() => sim.close());
    const devices: ResolvedDevice[] = [3, 4].map((u) => ({
      id: `gh${u}`,
      profile: PROFILE,
      connection: { type: "modbus-rtu", path: pty.b, baudRate: 115200, unitId: u, timeoutMs: 500, interFrameDelayMs: 0 },
      // (the inter-frame delay runs on the injected clock, which this test never advances)
    }));
    const { mgr, latest } = await pollOnce(devices, true);
    expect(mgr.stats().connections).toBe(1);
    for (const d of devices) {
      for (const p of PROFILE.points) expect(latest.get(`${d.id}/${p.name}`)?.quality, `${d.id}/${p.name}`).toBe("good");
    }
    await mgr.write("gh4", "fan", true);
    expect(sim.bank(4).getBit("coil", 1)).toBe(true);
    expect(sim.bank(3).getBit("coil", 1)).toBe(false);
  });
});
