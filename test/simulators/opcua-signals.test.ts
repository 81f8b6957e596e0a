/** The "signals" model: N variables that all change every changeEveryMs, seen by a subscription. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AttributeIds,
  ClientMonitoredItemGroup,
  ClientSubscription,
  DataType,
  TimestampsToReturn,
  type BaseNode,
  type ClientSession,
  type DataValue,
  type OPCUAClient,
} from "node-opcua";
import { ManualClock } from "../../src/core/clock.js";
import { startOpcuaSimulator, type OpcuaSimulator } from "../../simulators/opcua/simulator.js";
import { signalName } from "../../simulators/opcua/signals.js";
import { waitFor } from "./helpers.js";
import { closeSession, createClient, openSession, readValue, tempDir } from "./opcua-helpers.js";

const COUNT = 200;
const pki = tempDir("opcua-signals-");
const clock = new ManualClock();
let sim: OpcuaSimulator;
let client: OPCUAClient;
let session: ClientSession;

beforeAll(async () => {
  sim = await startOpcuaSimulator({ clock, model: "signals", signals: { count: COUNT, changeEveryMs: 100 }, pkiDir: `${pki.dir}/server` });
  client = await createClient({ pkiDir: `${pki.dir}/client` });
  session = await openSession(client, sim.endpointUrl);
});

afterAll(async () => {
  if (client) await closeSession(client, session);
  await sim?.close();
  pki.remove();
});

describe("OPC-UA simulator: signals", () => {
  it("serves N Double variables under Signals", async () => {
    expect(signalName(7)).toBe("Signals.S0007");
    expect(sim.nodeIds()).toHaveLength(COUNT);
    const signals = await session.browse("ns=1;s=Signals");
    expect(signals.references).toHaveLength(COUNT);
    const first = await readValue(session, "ns=1;s=Signals.S0000");
    expect(first.value.dataType).toBe(DataType.Double);
    expect(first.value.value).toBe(sim.signals!.value(0));
  });

  it("every signal changes on every step: a subscription sees N data changes per step", async () => {
    const subscription = ClientSubscription.create(session, {
      requestedPublishingInterval: 20,
      requestedMaxKeepAliveCount: 50,
      requestedLifetimeCount: 500,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
    });
    const items = Array.from({ length: COUNT }, (_, i) => ({ nodeId: `ns=1;s=${signalName(i)}`, attributeId: AttributeIds.Value }));
    const group = ClientMonitoredItemGroup.create(subscription, items, { samplingInterval: 0, queueSize: 10, discardOldest: true }, TimestampsToReturn.Both);
    let changes = 0;
    const latest = new Map<string, number>();
    group.on("changed", (item: { itemToMonitor: { nodeId: BaseNode["nodeId"] } }, dv: DataValue) => {
      changes++;
      latest.set(item.itemToMonitor.nodeId.toString(), dv.value.value as number);
    });
    await waitFor(() => changes >= COUNT, "the initial values", 10_000);
    for (let step = 1; step <= 3; step++) {
      clock.advance(100);
      await waitFor(() => changes >= COUNT * (step + 1), `the changes of step ${step}`, 10_000);
    }
    expect(changes).toBe(COUNT * 4);
    expect(sim.signals!.steps).toBe(3);
    for (let i = 0; i < COUNT; i += 37) expect(latest.get(`ns=1;s=${signalName(i)}`)).toBe(sim.signals!.value(i));
    await subscription.terminate();
  });
});
