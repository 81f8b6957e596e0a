/**
 * Helpers for the serial driver tests: a device manager with the serial adapter over a simulator's
 * pty, readings and status events collected per point, and profiles loaded from the catalogue or
 * written inline.
 */
import { join } from "node:path";
import { loadProfileFile, BUILTIN_PROFILES_DIR } from "../../src/config/profile-load.js";
import type { SerialConnection } from "../../src/config/connection-schema.js";
import type { DeviceProfile, SerialProfile } from "../../src/config/profile-schema.js";
import { checkProfile } from "../../src/config/profile-load.js";
import type { Reading } from "../../src/core/types.js";
import { createDeviceManager, type DeviceManager, type DeviceStatus } from "../../src/devices/device-manager.js";
import { serialAdapter } from "../../src/devices/serial/serial-adapter.js";

export { waitFor } from "./helpers.js";

export function catalogueProfile(ref: string): SerialProfile {
  const p = loadProfileFile(join(BUILTIN_PROFILES_DIR, `${ref}.yaml`));
  if (p.protocol !== "serial") throw new Error(`${ref} is not a serial profile`);
  return p;
}

/** An inline profile, checked like a catalogue one. */
export function inlineProfile(p: Omit<SerialProfile, "protocol" | "vendor" | "model" | "source"> & { model?: string }): SerialProfile {
  const profile = { vendor: "test", model: p.model ?? "inline", protocol: "serial", source: "test", ...p } as SerialProfile;
  const problems = checkProfile(profile as DeviceProfile);
  if (problems.length > 0) throw new Error(`inline profile: ${JSON.stringify(problems)}`);
  return profile;
}

export interface SerialRig {
  manager: DeviceManager;
  readings: Map<string, Reading[]>;
  statuses: Map<string, DeviceStatus[]>;
  /** latest reading of `<device>/<point>` */
  last(point: string): Reading | undefined;
  lastStatus(device: string): DeviceStatus | undefined;
  close(): Promise<void>;
}

export interface RigDevice {
  id: string;
  profile: SerialProfile;
  connection: Omit<SerialConnection, "type">;
}

export async function startRig(devices: RigDevice[], opts: { failuresBeforeUnavailable?: number } = {}): Promise<SerialRig> {
  const readings = new Map<string, Reading[]>();
  const statuses = new Map<string, DeviceStatus[]>();
  const manager = createDeviceManager({
    devices: devices.map((d) => ({ id: d.id, profile: d.profile, connection: { type: "serial", reconnectMinMs: 20, reconnectMaxMs: 100, ...d.connection } })),
    adapters: new Map([["serial", serialAdapter]]),
    failuresBeforeUnavailable: opts.failuresBeforeUnavailable ?? 2,
    onReadings: (_id, rs) => {
      for (const r of rs) {
        let list = readings.get(r.point);
        if (!list) readings.set(r.point, (list = []));
        list.push(r);
      }
    },
    onStatus: (id, s) => {
      let list = statuses.get(id);
      if (!list) statuses.set(id, (list = []));
      list.push(s);
    },
  });
  await manager.start();
  return {
    manager,
    readings,
    statuses,
    last: (point) => readings.get(point)?.at(-1),
    lastStatus: (device) => statuses.get(device)?.at(-1),
    close: () => manager.stop(),
  };
}
