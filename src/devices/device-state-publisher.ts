/**
 * Publishes each device's state on the bus: one retained JSON message per device per poll cycle,
 * holding every point's latest value, quality, unit and time (as Zigbee2MQTT does per device). One
 * message per device, not per point, keeps the broker's cost per point low; docs/topics.md says so.
 *
 * Hot path (once per device per cycle): the JSON is assembled from one cached fragment per point
 * (`"name":{"v":…,"q":…,"t":…}`), rebuilt only for the points in the batch, with the constant parts
 * (name, unit) escaped once at construction. No object per point and no JSON.stringify of the
 * whole state per message; the text is what JSON.stringify would give for the same payload
 * (non-finite numbers become null).
 */
import type { BusClient } from "../bus/bus-client.js";
import { topics, type GatewayScope } from "../core/topics.js";
import type { Reading, Value } from "../core/types.js";
import type { DeviceProfile } from "../config/profile-schema.js";

interface DeviceState {
  topic: string;
  ts: number;
  /** point id → index in the arrays below */
  index: Map<string, number>;
  /** `"name":{"v":` per point */
  heads: string[];
  /** `,"u":"unit"}` or `}` per point */
  tails: string[];
  /** the point's current fragment, "" until its first reading (then it appears in the message) */
  fragments: string[];
}

export class DeviceStatePublisher {
  #bus: BusClient;
  #devices = new Map<string, DeviceState>();
  published = 0;
  failed = 0;
  readonly #ok = (): void => {
    this.published++;
  };
  readonly #fail = (): void => {
    this.failed++;
  };

  constructor(bus: BusClient, scope: GatewayScope, devices: { id: string; profile: DeviceProfile }[]) {
    this.#bus = bus;
    for (const d of devices) {
      const index = new Map<string, number>();
      const heads: string[] = [];
      const tails: string[] = [];
      for (const p of d.profile.points) {
        index.set(`${d.id}/${p.name}`, heads.length);
        heads.push(`${JSON.stringify(p.name)}:{"v":`);
        tails.push(p.unit !== undefined ? `,"u":${JSON.stringify(p.unit)}}` : "}");
      }
      this.#devices.set(d.id, { topic: topics.deviceState(scope, d.id), ts: 0, index, heads, tails, fragments: heads.map(() => "") });
    }
  }

  /** Merge a batch into the device's state and publish it (fire and forget: never blocks polling). */
  publish(deviceId: string, readings: readonly Reading[]): void {
    const state = this.#devices.get(deviceId);
    if (!state || readings.length === 0) return;
    let ts = state.ts;
    const { index, heads, tails, fragments } = state;
    for (let k = 0; k < readings.length; k++) {
      const r = readings[k]!;
      const i = index.get(r.point);
      if (i === undefined) continue;
      const err = r.error !== undefined ? `,"e":${JSON.stringify(r.error)}` : "";
      fragments[i] = `${heads[i]}${jsonValue(r.value)},"q":"${r.quality}","t":${jsonNumber(r.ts)}${err}${tails[i]}`;
      if (r.ts > ts) ts = r.ts;
    }
    state.ts = ts;
    let body = "";
    for (let i = 0; i < fragments.length; i++) {
      const f = fragments[i]!;
      if (f === "") continue;
      body = body === "" ? f : `${body},${f}`;
    }
    this.#bus.publish(state.topic, `{"ts":${jsonNumber(ts)},"points":{${body}}}`, { retain: true }).then(this.#ok, this.#fail);
  }
}

function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : "null";
}

function jsonValue(v: Value | null): string {
  switch (typeof v) {
    case "number":
      return jsonNumber(v);
    case "boolean":
      return v ? "true" : "false";
    case "string":
      return JSON.stringify(v);
    default:
      return "null";
  }
}
