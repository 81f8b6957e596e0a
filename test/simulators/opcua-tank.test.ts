/**
 * The OPC-UA simulator's water tank seen by a real node-opcua client: browse, read, write the
 * valve and see the level respond, refused writes, a subscription, and the per-node faults.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AttributeIds,
  BrowseDirection,
  ClientMonitoredItem,
  ClientSubscription,
  DataType,
  StatusCodes,
  TimestampsToReturn,
  type ClientSession,
  type DataValue,
  type OPCUAClient,
} from "node-opcua";
import { ManualClock } from "../../src/core/clock.js";
import { startOpcuaSimulator, type OpcuaSimulator } from "../../simulators/opcua/simulator.js";
import { WATER_TANK_NODES } from "../../simulators/opcua/tank-nodes.js";
import { waitFor } from "./helpers.js";
import { closeSession, createClient, openSession, readValue, tempDir } from "./opcua-helpers.js";

const pki = tempDir("opcua-tank-");
const clock = new ManualClock();
let sim: OpcuaSimulator;
let client: OPCUAClient;
let session: ClientSession;

beforeAll(async () => {
  sim = await startOpcuaSimulator({ clock, pkiDir: `${pki.dir}/server`, seed: 3, waterTank: { levelM: 1 } });
  client = await createClient({ pkiDir: `${pki.dir}/client` });
  session = await openSession(client, sim.endpointUrl);
});

afterAll(async () => {
  if (client) await closeSession(client, session);
  await sim?.close();
  pki.remove();
});

const write = (nodeId: string, dataType: DataType, value: unknown) =>
  session.write({ nodeId, attributeId: AttributeIds.Value, value: { value: { dataType, value } } });

describe("OPC-UA simulator: water tank", () => {
  it("serves on 127.0.0.1 with the tank's variables under Tank", async () => {
    expect(sim.endpointUrl).toBe(`opc.tcp://127.0.0.1:${sim.port}`);
    expect(sim.port).toBeGreaterThan(0);
    const endpoints = await client.getEndpoints();
    expect(endpoints.every((e) => e.endpointUrl?.startsWith("opc.tcp://127.0.0.1:"))).toBe(true);

    const tank = await session.browse({ nodeId: "ns=1;s=Tank", browseDirection: BrowseDirection.Forward, resultMask: 63 });
    const names = (tank.references ?? []).map((r) => r.browseName.name);
    for (const id of WATER_TANK_NODES) expect(names).toContain(id.slice("Tank.".length));
    const objects = await session.browse("i=85"); // the Objects folder
    expect((objects.references ?? []).map((r) => r.nodeId.toString())).toContain("ns=1;s=Tank");
  });

  it("reads values with their data types, engineering units and access levels", async () => {
    const level = await readValue(session, "ns=1;s=Tank.Level");
    expect(level.statusCode).toBe(StatusCodes.Good);
    expect(level.value.dataType).toBe(DataType.Double);
    expect(level.value.value).toBeCloseTo(1, 2);
    const types: Record<string, DataType> = {
      "Tank.LevelPercent": DataType.Float,
      "Tank.PumpCommand": DataType.Boolean,
      "Tank.PumpStarts": DataType.UInt16,
      "Tank.PumpRunTime": DataType.Int32,
      "Tank.Mode": DataType.String,
    };
    for (const [name, type] of Object.entries(types)) expect((await readValue(session, `ns=1;s=${name}`)).value.dataType).toBe(type);

    const eu = await session.read({ nodeId: "ns=1;s=Tank.OutletPressure", attributeId: AttributeIds.Value });
    expect(eu.statusCode).toBe(StatusCodes.Good);
    const units = await session.browse({ nodeId: "ns=1;s=Tank.OutletPressure", browseDirection: BrowseDirection.Forward, resultMask: 63 });
    const euNode = (units.references ?? []).find((r) => r.browseName.name === "EngineeringUnits");
    expect(euNode).toBeDefined();
    const unit = await readValue(session, euNode!.nodeId.toString());
    expect(unit.value.value.displayName.text).toBe("bar");

    const access = async (name: string) =>
      (await session.read({ nodeId: `ns=1;s=${name}`, attributeId: AttributeIds.UserAccessLevel })).value.value as number;
    expect((await access("Tank.InletValve")) & 0x02).toBe(0x02); // CurrentWrite
    expect((await access("Tank.Level")) & 0x02).toBe(0);
  });

  it("a valve write reaches the model and the level rises as the clock runs", async () => {
    expect(await write("ns=1;s=Tank.InletValve", DataType.Double, 50)).toBe(StatusCodes.Good);
    expect(sim.tank!.state().valvePct).toBe(50);
    expect((await readValue(session, "ns=1;s=Tank.Mode")).value.value).toBe("filling");
    clock.advance(10 * 60_000);
    const level = (await readValue(session, "ns=1;s=Tank.Level")).value.value as number;
    expect(level).toBeCloseTo(2.5, 2); // 1 m + 1.5 m in ten minutes at 50 %
    expect((await readValue(session, "ns=1;s=Tank.InflowRate")).value.value).toBeCloseTo(18, 6);

    expect(await write("ns=1;s=Tank.PumpCommand", DataType.Boolean, true)).toBe(StatusCodes.Good);
    expect((await readValue(session, "ns=1;s=Tank.PumpRunning")).value.value).toBe(true);
    expect((await readValue(session, "ns=1;s=Tank.OutletPressure")).value.value).toBeGreaterThan(2.5);
    expect(await write("ns=1;s=Tank.PumpCommand", DataType.Boolean, false)).toBe(StatusCodes.Good);
    expect(await write("ns=1;s=Tank.InletValve", DataType.Double, 0)).toBe(StatusCodes.Good);
    expect(sim.stats().writes).toBeGreaterThanOrEqual(4);
  });

  it("refuses writes of the wrong type, out of range, or to read-only variables", async () => {
    const refusedBefore = sim.stats().writesRefused;
    expect(await write("ns=1;s=Tank.InletValve", DataType.String, "open")).toBe(StatusCodes.BadTypeMismatch);
    expect(await write("ns=1;s=Tank.PumpCommand", DataType.Int32, 1)).toBe(StatusCodes.BadTypeMismatch);
    expect(await write("ns=1;s=Tank.InletValve", DataType.Double, 150)).toBe(StatusCodes.BadOutOfRange);
    expect(await write("ns=1;s=Tank.Level", DataType.Double, 3)).toBe(StatusCodes.BadNotWritable);
    expect(sim.tank!.state().valvePct).toBe(0);
    expect(sim.stats().writesRefused).toBe(refusedBefore + 1); // the out-of-range one reached the model's guard
  });

  it("a subscription receives data changes as the level moves", async () => {
    const subscription = ClientSubscription.create(session, {
      requestedPublishingInterval: 50,
      requestedMaxKeepAliveCount: 20,
      requestedLifetimeCount: 100,
      publishingEnabled: true,
    });
    const values: number[] = [];
    const item = ClientMonitoredItem.create(
      subscription,
      { nodeId: "ns=1;s=Tank.Level", attributeId: AttributeIds.Value },
      { samplingInterval: 0, queueSize: 100, discardOldest: true },
      TimestampsToReturn.Both,
    );
    item.on("changed", (dv: DataValue) => values.push(dv.value.value as number));
    await waitFor(() => values.length >= 1, "the initial value");
    await write("ns=1;s=Tank.InletValve", DataType.Double, 100);
    for (let i = 0; i < 3; i++) {
      const before = values.length;
      clock.advance(1000);
      await waitFor(() => values.length > before, `data change ${i + 1}`);
    }
    expect(values.at(-1)!).toBeGreaterThan(values[0]!);
    await write("ns=1;s=Tank.InletValve", DataType.Double, 0);
    await subscription.terminate();
  });

  it("badStatus serves the value with a Bad status until cleared", async () => {
    const fault = sim.faults.badStatus("ns=1;s=Tank.Level");
    const bad = await readValue(session, "ns=1;s=Tank.Level");
    expect(bad.statusCode).toBe(StatusCodes.BadSensorFailure);
    clock.advance(1000); // model ticks keep the status
    expect((await readValue(session, "ns=1;s=Tank.Level")).statusCode).toBe(StatusCodes.BadSensorFailure);
    sim.faults.badStatus("s=Tank.InletValve", "BadOutOfService"); // a writable (getter-bound) variable
    expect((await readValue(session, "ns=1;s=Tank.InletValve")).statusCode).toBe(StatusCodes.BadOutOfService);
    fault.clear();
    sim.faults.clearBadStatus("ns=1;s=Tank.InletValve");
    expect((await readValue(session, "ns=1;s=Tank.Level")).statusCode).toBe(StatusCodes.Good);
    expect((await readValue(session, "ns=1;s=Tank.InletValve")).statusCode).toBe(StatusCodes.Good);
    expect(() => sim.faults.badStatus("ns=1;s=Tank.Level", "Good")).toThrow(RangeError);
    expect(() => sim.faults.badStatus("ns=1;s=Nope")).toThrow(RangeError);
  });

  it("removeNode makes reads answer BadNodeIdUnknown until restoreNode", async () => {
    sim.faults.removeNode("ns=1;s=Tank.OutletPressure");
    expect((await readValue(session, "ns=1;s=Tank.OutletPressure")).statusCode).toBe(StatusCodes.BadNodeIdUnknown);
    expect(sim.faults.active().removed).toEqual(["ns=1;s=Tank.OutletPressure"]);
    const browse = await session.browse("ns=1;s=Tank");
    expect((browse.references ?? []).map((r) => r.browseName.name)).not.toContain("OutletPressure");
    clock.advance(1000); // ticks publish nothing to a removed node
    sim.faults.restoreNode("ns=1;s=Tank.OutletPressure");
    const back = await readValue(session, "ns=1;s=Tank.OutletPressure");
    expect(back.statusCode).toBe(StatusCodes.Good);
    expect(back.value.value).toBeCloseTo(sim.tank!.state().outletPressureBar, 2);
  });

  it("slow holds read responses on the simulator's clock", async () => {
    const fault = sim.faults.slow({ nodeId: "ns=1;s=Tank.Level", delayMs: 5000 });
    const delayedBefore = sim.stats().delayedReads;
    let settled = false;
    const pending = readValue(session, "ns=1;s=Tank.Level").finally(() => (settled = true));
    await waitFor(() => sim.stats().delayedReads === delayedBefore + 1, "the read to be held");
    // other nodes are not delayed
    expect((await readValue(session, "ns=1;s=Tank.Mode")).statusCode).toBe(StatusCodes.Good);
    expect(settled).toBe(false);
    clock.advance(5000);
    expect((await pending).statusCode).toBe(StatusCodes.Good);
    expect(fault.applied).toBe(1);
    fault.clear();
    expect((await readValue(session, "ns=1;s=Tank.Level")).statusCode).toBe(StatusCodes.Good);
    expect(sim.stats().delayedReads).toBe(delayedBefore + 1);
  });
});
