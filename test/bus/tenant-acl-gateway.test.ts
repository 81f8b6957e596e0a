/**
 * Tenants on a real gateway: tenant users log in with the passwords their config names, write
 * their own device through the checked path and get the answer on their own reply topic, which
 * the other tenant cannot read; the other tenant's device and reply topics stay out of reach.
 */
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfigValue } from "../../src/config/load.js";
import { buildGateway, type Gateway } from "../../src/gateway.js";
import type { ModbusSimulator } from "../../simulators/modbus/simulator.js";
import { collect, connectClient, connectResult, recordingLogger, subackCodes } from "./helpers.js";
import { removeDir, startGreenhouse, tempDir, TEST_SCRYPT, waitFor } from "../gateway/helpers.js";

const base = "los/v1/farm/gw1";
const env = { PW_ALICE: "alice-secret", PW_BOB: "bob-secret" };
let simA: ModbusSimulator;
let simB: ModbusSimulator;
let dataDir: string;
let gateway: Gateway;
let port: number;
const logger = recordingLogger();
const clients: MqttClient[] = [];

const device = (id: string, simPort: number) => ({
  id,
  profile: "llmagentos/greenhouse-sim",
  connection: { type: "modbus-tcp", host: "127.0.0.1", port: simPort, unitId: 1, timeoutMs: 300, reconnectMinMs: 20, reconnectMaxMs: 200 },
  pollMs: 50,
});

async function login(username: string): Promise<MqttClient> {
  const c = await connectClient(port, { username, password: env[username === "alice" ? "PW_ALICE" : "PW_BOB"], clientId: `${username}-${clients.length}` });
  clients.push(c);
  return c;
}


beforeAll(async () => {
  simA = await startGreenhouse();
  simB = await startGreenhouse();
  dataDir = await tempDir("los-acl-gw-");
  const config = loadConfigValue(
    {
      site: "farm",
      gateway: "gw1",
      dataDir,
      bus: { listeners: [{ kind: "tcp", host: "127.0.0.1", port: 0 }] },
      tenants: [
        { id: "A", users: [{ username: "alice", passwordEnv: "PW_ALICE" }], devices: ["ghA"] },
        { id: "B", users: [{ username: "bob", passwordEnv: "PW_BOB" }], devices: ["ghB"] },
      ],
      devices: [device("ghA", simA.port!), device("ghB", simB.port!)],
    },
    dataDir,
  );
  gateway = await buildGateway(config, { scrypt: TEST_SCRYPT, env, logger });
  port = gateway.broker.listeners()[0]!.port;
  await waitFor(() => gateway.live.get("ghA/fan")?.quality === "good" && gateway.live.get("ghB/fan")?.quality === "good", { what: "first polls" });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
  await gateway?.close();
  await simA?.close();
  await simB?.close();
  await removeDir(dataDir);
});

describe("tenants on a gateway", () => {
  it("tenant users log in with their configured passwords; a wrong one is CONNACK 4", async () => {
    expect(await connectResult(port, { username: "alice", password: "bob-secret" })).toBe(4);
    expect(await connectResult(port, { username: "bob", password: "bob-secret" })).toBe(0);
  });

  it("a tenant user writes its own device through the checked path and gets the reply on its own reply topic", async () => {
    const alice = await login("alice");
    const aliceGot = collect(alice);
    const bob = await login("bob");
    const bobGot = collect(bob);
    expect(await subackCodes(alice, [`${base}/tenants/A/replies/#`, `${base}/devices/ghA/state`])).toEqual([0, 0]);
    expect(await subackCodes(bob, [`${base}/tenants/A/replies/#`, `${base}/replies/#`, `${base}/tenants/B/replies/#`, `${base}/devices/ghA/state`])).toEqual([128, 128, 0, 128]);

    await alice.publishAsync(`${base}/devices/ghA/write`, JSON.stringify({ point: "fan", value: true, reason: "air", correlationId: "w1" }), { qos: 1 });
    const [reply] = (await aliceGot.until((m) => m.topic === `${base}/tenants/A/replies/w1`)).slice(-1);
    expect(JSON.parse(reply!.payload)).toMatchObject({ ok: true, correlationId: "w1", data: { point: "ghA/fan", value: true } });
    expect(simA.bank(1).getBit("coil", 1)).toBe(true);
    expect(gateway.store.audit.list({ limit: 10 }).find((e) => e.point === "ghA/fan")).toMatchObject({ outcome: "accepted", actor: { id: "alice", tenant: "A" } });

    // bob's own reply arrives; alice's never reached him
    await bob.publishAsync(`${base}/devices/ghB/write`, JSON.stringify({ point: "fan", value: true, reason: "air", correlationId: "w2" }), { qos: 1 });
    await bobGot.until((m) => m.topic === `${base}/tenants/B/replies/w2`);
    expect(bobGot.got.map((m) => m.topic)).toEqual([`${base}/tenants/B/replies/w2`]);
  });

  it("a replyTo the requester may not read is refused: no write, no reply, logged with its code", async () => {
    const bob = await login("bob");
    const bobGot = collect(bob);
    await bob.subscribeAsync(`${base}/tenants/B/#`);
    const alice = await login("alice");
    const before = gateway.store.audit.list({ limit: 100 }).length;
    await alice.publishAsync(
      `${base}/devices/ghA/write`,
      JSON.stringify({ point: "vent", value: true, reason: "spill", correlationId: "w3", replyTo: `${base}/tenants/B/inbox` }),
      { qos: 1 },
    );
    await waitFor(() => logger.entries.some((e) => e.obj.correlationId === "w3"), { what: "the refusal log" });
    expect(logger.entries.find((e) => e.obj.correlationId === "w3")?.obj).toMatchObject({ code: "LOS_E_REQUEST_INVALID", username: "alice", answered: false });
    expect(gateway.store.audit.list({ limit: 100 })).toHaveLength(before);
    await bob.publishAsync(`${base}/tenants/B/marker`, "m", { qos: 1 });
    await bobGot.until((m) => m.topic === `${base}/tenants/B/marker`);
    expect(bobGot.got.map((m) => m.topic)).toEqual([`${base}/tenants/B/marker`]);
  });

  it("a tenant user writing another tenant's device is disconnected and the device is untouched", async () => {
    const alice = await login("alice");
    const closed = new Promise<void>((resolve) => alice.once("close", () => resolve()));
    alice.publish(`${base}/devices/ghB/write`, JSON.stringify({ point: "vent", value: true, reason: "not mine" }));
    await closed;
    expect(gateway.broker.stats().notAuthorized).toBeGreaterThan(0);
    expect(simB.bank(1).getBit("coil", 2)).toBe(false);
    expect(gateway.store.audit.list({ limit: 100 }).some((e) => e.point === "ghB/vent")).toBe(false);
  });
});
