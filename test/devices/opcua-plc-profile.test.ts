/**
 * The shipped generic OPC-UA PLC profile (devices/generic/opcua-plc.yaml, Siemens S7-1500 naming)
 * served by the OPC-UA simulator's `variables` option and read and written through the gateway.
 * The simulator's namespace has its own URI, so the profile's Siemens namespace URI is swapped for
 * it: the driver then resolves `nsu=` to the session's namespace index as it would on a real PLC.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadProfileFile, resolveProfilePath } from "../../src/config/profile-load.js";
import type { OpcuaProfile } from "../../src/config/profile-schema.js";
import type { Gateway } from "../../src/gateway.js";
import { startOpcuaSimulator, type OpcuaSimulator } from "../../simulators/opcua/simulator.js";
import { removeDir, tempDir, waitFor } from "../gateway/helpers.js";
import { opcuaConnection, startOpcuaGateway } from "../gateway/opcua-harness.js";

const SIEMENS_URI = "http://www.siemens.com/simatic-s7-opcua";
const profile = loadProfileFile(resolveProfilePath("generic/opcua-plc", ".")) as OpcuaProfile;
const INITIAL: Record<string, number | boolean> = { speed: 12, motor_current: 8.5, motor_temperature: 45, fault_code: 0, parts_count: 1000, operating_hours: 1234.5 };

let sim: OpcuaSimulator;
let gateway: Gateway;
let dataDir: string;

beforeAll(async () => {
  // the simulator owns Siemens' namespace URI, so the profile's node ids are served as shipped
  sim = await startOpcuaSimulator({
    model: "none",
    tickMs: 100,
    namespaceUri: SIEMENS_URI,
    variables: profile.points.map((p) => ({
      nodeId: p.nodeId,
      dataType: p.type,
      writable: p.writable === true,
      value: p.type === "Boolean" ? false : (INITIAL[p.name] ?? 0),
      ...(p.unit ? { unit: p.unit } : {}),
    })),
  });
  dataDir = await tempDir("los-opcua-plc-");
  // the same points, polled ones every 200 ms instead of 5 s
  const local = { ...profile, points: profile.points.map((p) => ({ ...p, ...(p.mode === "poll" ? { pollMs: 200 } : {}) })) };
  gateway = await startOpcuaGateway(dataDir, [{ id: "line1", profile: local as unknown as Record<string, unknown>, connection: opcuaConnection(sim.endpointUrl) }]);
}, 30_000);

afterAll(async () => {
  await gateway?.close();
  await sim?.close();
  if (dataDir) await removeDir(dataDir);
});

describe("generic/opcua-plc on the simulator", () => {
  it("names every tag the S7-1500 way in the Siemens namespace", () => {
    for (const p of profile.points) expect(p.nodeId).toMatch(/^nsu=http:\/\/www\.siemens\.com\/simatic-s7-opcua;s="Line"\."[A-Za-z]+"$/);
  });

  it("reads every point, subscribed and polled, through namespace-URI node ids", async () => {
    for (const p of profile.points) {
      await waitFor(() => gateway.live.get(`line1/${p.name}`)?.quality === "good", { what: `line1/${p.name}` });
    }
    // read-only values wander around where they started
    expect(gateway.live.get("line1/speed")!.value as number).toBeGreaterThan(5);
    expect(gateway.live.get("line1/operating_hours")!.value as number).toBeGreaterThan(1000);
    expect(gateway.live.get("line1/running")!.value).toBe(false);
  });

  it("writes the speed setpoint and the start command; the envelope limits the setpoint's rate", async () => {
    await waitFor(() => gateway.live.get("line1/speed_setpoint")?.quality === "good");
    await gateway.devices.write("line1", "speed_setpoint", 0.5); // straight to the driver (Float)
    await waitFor(() => gateway.live.get("line1/speed_setpoint")?.value === 0.5, { what: "setpoint read back" });
    const start = await gateway.actuate({ kind: "operator", id: "t" }, "line1/start", true, "start the line");
    expect(start, JSON.stringify(start)).toMatchObject({ ok: true });
    await waitFor(() => gateway.live.get("line1/start")?.value === true, { what: "start read back" });
    const tooFast = await gateway.actuate({ kind: "operator", id: "t" }, "line1/speed_setpoint", 60, "jump");
    expect(tooFast).toMatchObject({ ok: false, code: "LOS_E_WRITE_RATE" });
  });
});
