import { describe, expect, it } from "vitest";
import type { BusClient, PublishOptions } from "../../src/bus/bus-client.js";
import type { DeviceProfile } from "../../src/config/profile-schema.js";
import { DeviceStatePublisher } from "../../src/devices/device-state-publisher.js";

const PROFILE = {
  vendor: "test",
  model: "state",
  protocol: "modbus",
  points: [
    { name: "temp", register: "input", address: 0, type: "int16", unit: "°C" },
    { name: "on", register: "coil", address: 0, type: "bool" },
    { name: "label \"x\"", register: "holding", address: 1, type: "uint16", unit: "a\\b" },
  ],
} as unknown as DeviceProfile;

function fakeBus(fail = false) {
  const sent: { topic: string; payload: unknown; opts: PublishOptions | undefined }[] = [];
  const bus: BusClient = {
    publish(topic, payload, opts) {
      sent.push({ topic, payload, opts });
      return fail ? Promise.reject(new Error("closed")) : Promise.resolve();
    },
    subscribe: () => () => {},
  };
  return { bus, sent };
}

const scope = { site: "s1", gateway: "gw1" };

describe("DeviceStatePublisher", () => {
  it("publishes one retained JSON state per batch, merged with earlier batches", async () => {
    const { bus, sent } = fakeBus();
    const pub = new DeviceStatePublisher(bus, scope, [{ id: "d1", profile: PROFILE }]);
    pub.publish("d1", [{ point: "d1/temp", value: 21.5, quality: "good", ts: 1000 }]);
    pub.publish("d1", [
      { point: "d1/on", value: true, quality: "good", ts: 1100 },
      { point: "d1/label \"x\"", value: null, quality: "bad", ts: 1100, error: "LOS_E_DEVICE_TIMEOUT" },
      { point: "d1/unknown", value: 1, quality: "good", ts: 5000 },
    ]);
    pub.publish("d1", [{ point: "d1/temp", value: Number.NaN, quality: "uncertain", ts: 900 }]);
    pub.publish("nope", [{ point: "nope/temp", value: 1, quality: "good", ts: 1 }]);
    pub.publish("d1", []);
    await Promise.resolve();
    expect(sent).toHaveLength(3);
    expect(sent.every((m) => m.topic === "los/v1/s1/gw1/devices/d1/state" && m.opts?.retain === true)).toBe(true);
    const json = sent.map((m) => JSON.parse(String(m.payload)) as unknown);
    expect(json[0]).toEqual({ ts: 1000, points: { temp: { v: 21.5, q: "good", t: 1000, u: "°C" } } });
    expect(json[1]).toEqual({
      ts: 1100,
      points: {
        temp: { v: 21.5, q: "good", t: 1000, u: "°C" },
        on: { v: true, q: "good", t: 1100 },
        'label "x"': { v: null, q: "bad", t: 1100, u: "a\\b", e: "LOS_E_DEVICE_TIMEOUT" },
      },
    });
    // an older reading still replaces the point's entry; the message ts never goes back
    expect(json[2]).toEqual({
      ts: 1100,
      points: {
        temp: { v: null, q: "uncertain", t: 900, u: "°C" },
        on: { v: true, q: "good", t: 1100 },
        'label "x"': { v: null, q: "bad", t: 1100, u: "a\\b", e: "LOS_E_DEVICE_TIMEOUT" },
      },
    });
  });

  it("matches JSON.stringify of the same state for strings that need escaping", async () => {
    const { bus, sent } = fakeBus();
    const pub = new DeviceStatePublisher(bus, scope, [{ id: "d1", profile: PROFILE }]);
    const value = 'a "quoted"\n\\ value \u0001 ✓';
    pub.publish("d1", [{ point: "d1/temp", value, quality: "good", ts: 7 }]);
    await Promise.resolve();
    expect(String(sent[0]!.payload)).toBe(JSON.stringify({ ts: 7, points: { temp: { v: value, q: "good", t: 7, u: "°C" } } }));
  });

  it("counts published and failed messages without throwing", async () => {
    const { bus } = fakeBus(true);
    const pub = new DeviceStatePublisher(bus, scope, [{ id: "d1", profile: PROFILE }]);
    pub.publish("d1", [{ point: "d1/temp", value: 1, quality: "good", ts: 1 }]);
    await new Promise((r) => setTimeout(r, 0));
    expect(pub.failed).toBe(1);
    expect(pub.published).toBe(0);
  });
});
