/**
 * OPC-UA simulator → gateway → history and bus, over a real OPC-UA session (security None): the
 * water tank through its shipped profile and a "PLC" of generic variables through a test profile.
 * One simulator and one gateway serve the whole file (the server takes a while to start); the
 * server restart comes last.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import mqtt from "mqtt";
import { topics } from "../../src/core/topics.js";
import type { Gateway } from "../../src/gateway.js";
import { startOpcuaSimulator, type OpcuaSimulator } from "../../simulators/opcua/simulator.js";
import { collect, removeDir, tempDir, waitFor } from "./helpers.js";
import { opcuaConnection, startOpcuaGateway, testProfile } from "./opcua-harness.js";

let sim: OpcuaSimulator;
let gateway: Gateway;
let dataDir: string;

const PLC_POINTS = [
  { name: "setpoint", nodeId: "ns=1;s=Plc.Setpoint", type: "Double", unit: "degC", writable: true, deadband: 1, envelope: { min: 0, max: 100 } },
  { name: "gain", nodeId: "ns=1;s=Plc.Gain", type: "Float", unit: "", writable: true, envelope: { min: 0, max: 10 } },
  { name: "counter", nodeId: "ns=1;s=Plc.Counter", type: "Int16", unit: "", writable: true, envelope: { min: -100, max: 30000 } },
  { name: "speed", nodeId: "ns=1;s=Plc.Speed", type: "Double", unit: "rpm", mode: "poll", pollMs: 100 },
  { name: "temperature", nodeId: "ns=1;s=Plc.Temperature", type: "Double", unit: "degC" },
  { name: "missing", nodeId: "ns=1;s=Plc.Missing", type: "Double", unit: "" },
];

beforeAll(async () => {
  sim = await startOpcuaSimulator({
    tickMs: 100,
    seed: 7,
    waterTank: { levelM: 1 },
    variables: [
      { nodeId: "ns=1;s=Plc.Setpoint", dataType: "Double", writable: true, value: 10, unit: "degC" },
      { nodeId: "ns=1;s=Plc.Gain", dataType: "Double", writable: true, value: 1 },
      { nodeId: "ns=1;s=Plc.Counter", dataType: "Int16", writable: true, value: 0 },
      { nodeId: "ns=1;s=Plc.Speed", dataType: "Double", value: 1500, unit: "rpm" },
      { nodeId: "ns=1;s=Plc.Temperature", dataType: "Double", value: 40, unit: "degC" },
    ],
  });
  dataDir = await tempDir("los-opcua-gw-");
  gateway = await startOpcuaGateway(dataDir, [
    { id: "tank", profile: "llmagentos/water-tank-sim", connection: opcuaConnection(sim.endpointUrl) },
    { id: "plc", profile: testProfile("plc", PLC_POINTS), connection: opcuaConnection(sim.endpointUrl) },
  ]);
}, 30_000);

afterAll(async () => {
  await gateway?.close();
  await sim?.close();
  if (dataDir) await removeDir(dataDir);
});

const live = (id: string) => gateway.live.get(id);
const history = (id: string) => (gateway.store.telemetry.flush(), gateway.store.telemetry.range(id, { since: 0 }));

describe("OPC-UA devices in the gateway", () => {
  it("subscribed values reach live values, history and the retained device state on the bus", async () => {
    await waitFor(() => live("tank/level")?.quality === "good", { what: "tank/level" });
    expect(live("tank/level")!.value as number).toBeCloseTo(1, 1);
    await waitFor(() => typeof live("tank/mode")?.value === "string", { what: "tank/mode" });
    await waitFor(() => live("tank/pump_running")?.value === false, { what: "tank/pump_running" });
    await waitFor(() => history("tank/level").length > 0, { what: "tank/level in history" });

    const port = gateway.broker.listeners()[0]!.port;
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
    try {
      const seen = collect(client);
      await client.subscribeAsync([topics.deviceState(gateway.scope, "tank"), topics.deviceStatus(gateway.scope, "tank")]);
      const state = await waitFor(() => seen.last(topics.deviceState(gateway.scope, "tank")), { what: "tank state" });
      const points = state.points as Record<string, { v: unknown; q: string; u?: string }>;
      expect(points.level).toMatchObject({ q: "good", u: "m" });
      expect(points.outlet_pressure).toMatchObject({ q: "good", u: "bar" });
      expect(await waitFor(() => seen.last(topics.deviceStatus(gateway.scope, "tank")))).toMatchObject({ available: true });
    } finally {
      await client.endAsync(true);
    }
    const health = gateway.devices.health().tank!;
    expect(health).toMatchObject({ available: true, connected: true, connectionKey: sim.endpointUrl, address: "ns=1" });
    expect(health.stats.cycles).toBeGreaterThan(0);
    expect(health.stats.pointsRead).toBeGreaterThan(0);
  });

  it("polls points in mode poll with one batched read per cycle", async () => {
    await waitFor(() => live("plc/speed")?.quality === "good", { what: "plc/speed" });
    expect(live("plc/speed")!.value as number).toBeGreaterThan(1000);
    const reads = sim.stats().reads;
    await waitFor(() => sim.stats().reads >= reads + 3, { what: "three more polls" });
  });

  it("a point on a node the server does not have is bad (LOS_E_DEVICE_NODE_UNKNOWN) while the others flow", async () => {
    await waitFor(() => live("plc/missing")?.quality === "bad", { what: "plc/missing bad" });
    expect(live("plc/missing")).toMatchObject({ value: null, error: "LOS_E_DEVICE_NODE_UNKNOWN" });
    await waitFor(() => live("plc/temperature")?.quality === "good", { what: "plc/temperature" });
    expect(gateway.devices.health().plc!.available).toBe(true);
  });

  it("writes coerce to the node's type; a value the type cannot hold and a type the server refuses are coded errors", async () => {
    await gateway.devices.write("plc", "counter", 1234);
    await waitFor(() => live("plc/counter")?.value === 1234, { what: "counter read back" });
    await expect(gateway.devices.write("plc", "counter", 12.5)).rejects.toMatchObject({ code: "LOS_E_CODEC" });
    await expect(gateway.devices.write("plc", "counter", 40_000)).rejects.toMatchObject({ code: "LOS_E_CODEC" });

    // the profile says Float, the node is a Double: the server answers BadTypeMismatch
    const refused = await gateway.actuate({ kind: "operator", id: "tester" }, "plc/gain", 2, "type mismatch test");
    expect(refused).toMatchObject({ ok: false, code: "LOS_E_WRITE_TYPE" });
    expect(refused.ok === false && refused.message).toMatch(/BadTypeMismatch/);

    // through the single write path: envelope, driver, audit; the tank model follows
    await waitFor(() => live("tank/overheat_limit")?.quality === "good", { what: "overheat_limit" });
    const set = await gateway.actuate({ kind: "operator", id: "tester" }, "tank/overheat_limit", 90, "raise the limit");
    expect(set, JSON.stringify(set)).toMatchObject({ ok: true });
    expect(sim.tank!.state().overheatLimitC).toBe(90);
    const beyond = await gateway.actuate({ kind: "operator", id: "tester" }, "tank/overheat_limit", 150, "too far");
    expect(beyond).toMatchObject({ ok: false, code: "LOS_E_WRITE_OUT_OF_RANGE" });
    expect(gateway.store.audit.list({ point: "tank/overheat_limit" }).map((e) => e.outcome)).toEqual(expect.arrayContaining(["accepted", "refused"]));
    await gateway.devices.write("tank", "inlet_valve", 15);
    expect(sim.tank!.state().valvePct).toBe(15);
    await gateway.devices.write("tank", "pump_command", true);
    expect(sim.tank!.state().pumpCommand).toBe(true);
    await gateway.devices.write("tank", "pump_command", false);
  });

  it("a deadband on a subscribed point holds back changes smaller than it", async () => {
    await gateway.devices.write("plc", "setpoint", 20);
    await waitFor(() => live("plc/setpoint")?.value === 20, { what: "setpoint 20" });
    const before = history("plc/setpoint").length;
    await gateway.devices.write("plc", "setpoint", 20.5); // within the deadband of 1
    await gateway.devices.write("plc", "setpoint", 22); // beyond it
    await waitFor(() => live("plc/setpoint")?.value === 22, { what: "setpoint 22" });
    const values = history("plc/setpoint").slice(before).map((r) => r.value);
    expect(values).toEqual([22]);
  });

  it("a Bad status from the server makes the point bad with the status name, and good again when it clears", async () => {
    await waitFor(() => live("tank/outlet_pressure")?.quality === "good");
    const fault = sim.faults.badStatus("ns=1;s=Tank.OutletPressure", "BadSensorFailure");
    await waitFor(() => live("tank/outlet_pressure")?.quality === "bad", { what: "outlet_pressure bad" });
    expect(live("tank/outlet_pressure")!.error).toBe("LOS_E_DEVICE_STATUS");
    expect(live("tank/level")?.quality).toBe("good");
    fault.clear();
    await waitFor(() => live("tank/outlet_pressure")?.quality === "good", { what: "outlet_pressure good again" });
  });

  it("a node that disappears makes only that point bad; it flows again when the node comes back", async () => {
    await waitFor(() => live("plc/temperature")?.quality === "good");
    const fault = sim.faults.removeNode("ns=1;s=Plc.Temperature");
    await waitFor(() => live("plc/temperature")?.quality === "bad", { what: "temperature bad" });
    expect(live("plc/temperature")!.error).toBe("LOS_E_DEVICE_NODE_UNKNOWN");
    await gateway.devices.write("plc", "setpoint", 30);
    await waitFor(() => live("plc/setpoint")?.value === 30, { what: "setpoint still flows" });
    fault.clear();
    await waitFor(() => live("plc/temperature")?.quality === "good", { what: "temperature back", timeoutMs: 10_000 });
  });

  it("a read slower than timeoutMs fails with LOS_E_DEVICE_TIMEOUT and the point recovers", async () => {
    await waitFor(() => live("plc/speed")?.quality === "good");
    const before = history("plc/speed").length;
    sim.faults.slow({ nodeId: "ns=1;s=Plc.Speed", delayMs: 2500, count: 1 });
    // the next poll starts as soon as the timed-out one ends and answers at once, so the bad value
    // may be live for only a few ms: history keeps it
    const timedOut = () => history("plc/speed").slice(before).find((r) => r.quality === "bad");
    await waitFor(timedOut, { what: "speed bad in history" });
    expect(timedOut()).toMatchObject({ value: null, error: "LOS_E_DEVICE_TIMEOUT" });
    expect(gateway.devices.health().plc!.lastError?.code).toBe("LOS_E_DEVICE_TIMEOUT");
    await waitFor(() => live("plc/speed")?.quality === "good", { what: "speed good again", timeoutMs: 10_000 });
  });

  it("after a server restart the session, subscriptions and monitored items are rebuilt and data flows again", async () => {
    await sim.restart({ downMs: 200 });
    await waitFor(() => gateway.devices.stats().reconnects >= 1, { what: "a reconnect", timeoutMs: 15_000 });
    // a change made after the restart reaches the gateway through the new subscription
    await gateway.devices.write("plc", "setpoint", 44);
    await waitFor(() => live("plc/setpoint")?.value === 44, { what: "setpoint after restart" });
    sim.tank!.setValve(0);
    await waitFor(() => live("tank/inflow_rate")?.value === 0 && live("tank/inflow_rate")?.quality === "good", { what: "tank inflow after restart" });
    expect(gateway.devices.health().tank).toMatchObject({ available: true, connected: true });
    expect(sim.stats().sessions).toBe(1);
  });
});
