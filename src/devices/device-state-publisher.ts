/**
 * Publishes each device's state on the bus: one retained JSON message per device per poll cycle,
 * holding every point's latest value, quality, unit and time (as Zigbee2MQTT does per device). One
 * message per device, not per point, keeps the broker's cost per point low; docs/topics.md says so.
 */
import type { BusClient } from "../bus/bus-client.js";
import { topics, type DeviceStatePayload, type GatewayScope, type PointStatePayload } from "../core/topics.js";
import type { Reading } from "../core/types.js";
import type { DeviceProfile } from "../config/profile-schema.js";

interface DeviceState {
  topic: string;
  payload: DeviceStatePayload;
  /** point id → name inside the device */
  names: Map<string, string>;
  units: Map<string, string>;
}

export class DeviceStatePublisher {
  #bus: BusClient;
  #devices = new Map<string, DeviceState>();
  published = 0;
  failed = 0;

  constructor(bus: BusClient, scope: GatewayScope, devices: { id: string; profile: DeviceProfile }[]) {
    this.#bus = bus;
    for (const d of devices) {
      const names = new Map<string, string>();
      const units = new Map<string, string>();
      for (const p of d.profile.points) {
        names.set(`${d.id}/${p.name}`, p.name);
        if (p.unit !== undefined) units.set(p.name, p.unit);
      }
      this.#devices.set(d.id, { topic: topics.deviceState(scope, d.id), payload: { ts: 0, points: {} }, names, units });
    }
  }

  /** Merge a batch into the device's state and publish it (fire and forget: never blocks polling). */
  publish(deviceId: string, readings: readonly Reading[]): void {
    const state = this.#devices.get(deviceId);
    if (!state || readings.length === 0) return;
    let ts = state.payload.ts;
    for (const r of readings) {
      const name = state.names.get(r.point);
      if (name === undefined) continue;
      const entry: PointStatePayload = { v: r.value, q: r.quality, t: r.ts };
      const unit = state.units.get(name);
      if (unit !== undefined) entry.u = unit;
      if (r.error !== undefined) entry.e = r.error;
      state.payload.points[name] = entry;
      if (r.ts > ts) ts = r.ts;
    }
    state.payload.ts = ts;
    this.#bus.publish(state.topic, state.payload, { retain: true }).then(
      () => this.published++,
      () => this.failed++,
    );
  }
}
