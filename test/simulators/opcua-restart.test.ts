/**
 * Restarts and variables given as data: a client sees its connection drop and reconnects to the
 * same port and certificate; faults outlive a restart; profile variables are served with their
 * types, writable ones keep writes and read-only numbers wander.
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AttributeIds, DataType, StatusCodes, type ClientSession, type OPCUAClient } from "node-opcua";
import { LosError } from "../../src/core/errors.js";
import { ManualClock } from "../../src/core/clock.js";
import { startOpcuaSimulator, type OpcuaSimulator } from "../../simulators/opcua/simulator.js";
import { waitFor } from "./helpers.js";
import { closeSession, createClient, openSession, readValue, tempDir } from "./opcua-helpers.js";

const pki = tempDir("opcua-restart-");
const clock = new ManualClock();
let sim: OpcuaSimulator;
let client: OPCUAClient;
let session: ClientSession;

beforeAll(async () => {
  sim = await startOpcuaSimulator({
    clock,
    pkiDir: `${pki.dir}/server`,
    variables: [
      { nodeId: "ns=1;s=Boiler.Temperature", dataType: "Float", value: 60, unit: "degC" },
      { nodeId: "ns=1;s=Boiler.Setpoint", dataType: "Double", writable: true, value: 55, unit: "degC" },
      { nodeId: "ns=1;i=1001", dataType: "Int32", value: 10 },
      { nodeId: "s=SerialNumber", dataType: "String", value: "SN-0042" },
      { nodeId: "ns=1;s=Boiler.Burner", dataType: "Boolean", writable: true, value: false },
    ],
  });
  client = await createClient({ pkiDir: `${pki.dir}/client`, maxRetry: 100 });
  session = await openSession(client, sim.endpointUrl);
});

afterAll(async () => {
  if (client) await closeSession(client, session);
  await sim?.close();
  pki.remove();
});

/** Read until the session answers Good (it is being restored after a reconnection). */
async function readWhenBack(nodeId: string) {
  let last: unknown;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    try {
      const dv = await readValue(session, nodeId);
      if (dv.statusCode === StatusCodes.Good) return dv;
      last = dv.statusCode.name;
    } catch (err) {
      last = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the session did not come back: ${String(last)}`);
}

describe("OPC-UA simulator: variables as data", () => {
  it("serves each variable with its type, in an object named by its id, or Device", async () => {
    const temp = await readValue(session, "ns=1;s=Boiler.Temperature");
    expect(temp.value.dataType).toBe(DataType.Float);
    expect(temp.value.value).toBe(60);
    expect((await readValue(session, "ns=1;i=1001")).value.dataType).toBe(DataType.Int32);
    expect((await readValue(session, "ns=1;s=SerialNumber")).value.value).toBe("SN-0042");
    const boiler = await session.browse("ns=1;s=Boiler");
    expect((boiler.references ?? []).map((r) => r.browseName.name).sort()).toEqual(["Burner", "Setpoint", "Temperature"]);
    const device = await session.browse("ns=1;s=Device");
    expect((device.references ?? []).map((r) => r.browseName.name).sort()).toEqual(["SerialNumber", "Variable1001"]);
    expect(sim.nodeIds()).toContain("ns=1;i=1001");
  });

  it("writable variables keep client writes; read-only numbers wander, integers by whole steps", async () => {
    const w = (nodeId: string, dataType: DataType, value: unknown) =>
      session.write({ nodeId, attributeId: AttributeIds.Value, value: { value: { dataType, value } } });
    expect(await w("ns=1;s=Boiler.Setpoint", DataType.Double, 61.5)).toBe(StatusCodes.Good);
    expect(await w("ns=1;s=Boiler.Burner", DataType.Boolean, true)).toBe(StatusCodes.Good);
    expect(await w("ns=1;s=Boiler.Burner", DataType.Double, 1)).toBe(StatusCodes.BadTypeMismatch);
    expect(await w("ns=1;s=Boiler.Temperature", DataType.Float, 1)).toBe(StatusCodes.BadNotWritable);
    const temps = new Set<number>();
    const ints = new Set<number>();
    for (let i = 0; i < 10; i++) {
      clock.advance(1000);
      temps.add((await readValue(session, "ns=1;s=Boiler.Temperature")).value.value as number);
      ints.add((await readValue(session, "ns=1;i=1001")).value.value as number);
    }
    expect(temps.size).toBeGreaterThan(5);
    for (const t of temps) expect(Math.abs(t - 60)).toBeLessThan(5);
    for (const n of ints) expect(Number.isInteger(n)).toBe(true);
    expect(ints.size).toBeGreaterThan(1);
    expect((await readValue(session, "ns=1;s=Boiler.Setpoint")).value.value).toBe(61.5);
    expect((await readValue(session, "ns=1;s=Boiler.Burner")).value.value).toBe(true);
  });

  it("rejects variables it cannot serve", async () => {
    const bad = [
      { nodeId: "ns=2;s=X", dataType: "Double", value: 1 },
      { nodeId: "ns=1;s=X", dataType: "Int64", value: 1 },
      { nodeId: "ns=1;s=X", dataType: "Boolean", value: 1 },
      { nodeId: "ns=1;i=abc", dataType: "Double", value: 1 },
    ];
    for (const v of bad) await expect(startOpcuaSimulator({ model: "none", variables: [v] })).rejects.toMatchObject({ code: "LOS_E_SIM_START" });
  });
});

describe("OPC-UA simulator: restart", () => {
  it("drops every connection, comes back on the same port and certificate after downMs, and keeps faults", async () => {
    const port = sim.port;
    const thumbprint = sim.serverCertificate().thumbprint;
    sim.faults.badStatus("ns=1;s=Tank.Level");
    sim.faults.removeNode("ns=1;s=Tank.Mode");
    let lost = 0;
    let back = 0;
    client.on("connection_lost", () => lost++);
    client.on("connection_reestablished", () => back++);

    const restart = sim.restart({ downMs: 2000 });
    await waitFor(() => !sim.stats().running, "the server to stop", 10_000);
    await waitFor(() => lost >= 1, "the client to see the connection drop", 10_000);
    // the server stays down until the clock has run downMs
    const probe = await new Promise<string>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => (socket.destroy(), resolve("connected")));
      socket.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? "error"));
    });
    expect(probe).toBe("ECONNREFUSED");
    clock.advance(2000);
    await restart;
    expect(sim.stats()).toMatchObject({ running: true, restarts: 1 });
    expect(sim.port).toBe(port);
    expect(sim.serverCertificate().thumbprint).toBe(thumbprint);

    await waitFor(() => back >= 1, "the client to reconnect", 15_000);
    const temp = await readWhenBack("ns=1;s=Boiler.Temperature");
    expect(temp.value.dataType).toBe(DataType.Float);
    expect((await readValue(session, "ns=1;s=Tank.Level")).statusCode).toBe(StatusCodes.BadSensorFailure);
    expect((await readValue(session, "ns=1;s=Tank.Mode")).statusCode).toBe(StatusCodes.BadNodeIdUnknown);
    expect((await readValue(session, "ns=1;s=Boiler.Setpoint")).value.value).toBe(61.5); // the plant kept its state
    sim.faults.clear();
    expect((await readValue(session, "ns=1;s=Tank.Level")).statusCode).toBe(StatusCodes.Good);
    expect((await readValue(session, "ns=1;s=Tank.Mode")).statusCode).toBe(StatusCodes.Good);
    expect(sim.faults.active()).toEqual({ slow: [], badStatus: {}, removed: [] });
  });

  it("a second simulator on a port in use fails with LOS_E_SIM_START", async () => {
    expect(sim.stats().running).toBe(true);
    const err = await startOpcuaSimulator({ port: sim.port, model: "none" }).catch((e: unknown) => e);
    if (!(err instanceof Error)) await (err as OpcuaSimulator).close();
    expect(err).toBeInstanceOf(LosError);
    expect((err as LosError).code).toBe("LOS_E_SIM_START");
  });
});
