/**
 * The per-tenant ACL with real MQTT clients on a real broker: tenants and agents try to cross into
 * each other's topics and fail; their own traffic keeps flowing; a flooding client is held to its rate.
 */
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCredentialStore, hashPassword } from "../../src/bus/credentials.js";
import { TenantAuthorizer, type TenantAclModel } from "../../src/bus/tenant-authorizer.js";
import { closedBy, collect, connectClient, connectResult, startTestBroker, subackCodes, TEST_SCRYPT, type TestBroker } from "./helpers.js";

const base = "los/v1/s1/gw1";
const model: TenantAclModel = {
  scope: { site: "s1", gateway: "gw1" },
  tenants: [
    { id: "A", topics: ["shared/weather/#"], messagesPerSecond: 1000 },
    { id: "B", messagesPerSecond: 5 },
  ],
  devices: [{ id: "dA", tenant: "A" }, { id: "dB", tenant: "B" }],
  agents: [
    { id: "agA", tenant: "A", messagesPerSecond: 1000, publish: ["hello"] },
    { id: "agB", tenant: "B", messagesPerSecond: 1000 },
  ],
};
const users = [
  { username: "admin", role: "admin" as const },
  { username: "alice", role: "tenant" as const, tenant: "A" },
  { username: "bob", role: "tenant" as const, tenant: "B" },
  { username: "agA", role: "agent" as const, tenant: "A" },
  { username: "agB", role: "agent" as const, tenant: "B" },
];
const pw = (u: string) => `${u}-secret`;

let t: TestBroker;
const open: MqttClient[] = [];
async function login(username: string, clientId = `${username}-${open.length}`): Promise<MqttClient> {
  const c = await connectClient(t.authPort, { username, password: pw(username), clientId });
  open.push(c);
  return c;
}

/** A marker published by `from` and seen by `to` proves everything published before it was routed. */
async function marker(from: MqttClient, to: ReturnType<typeof collect>, topic: string): Promise<void> {
  const id = `marker-${Math.random()}`;
  await from.publishAsync(topic, id, { qos: 1 });
  await to.until((m) => m.payload === id);
}

beforeAll(async () => {
  const records = await Promise.all(users.map((u) => hashPassword(u, pw(u.username), TEST_SCRYPT)));
  t = await startTestBroker({ credentials: createCredentialStore(records), authorizer: new TenantAuthorizer(model) });
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.endAsync(true).catch(() => {})));
  await t.broker.close();
});

describe("tenant users", () => {
  it("a wrong password for a tenant user is CONNACK 4", async () => {
    expect(await connectResult(t.authPort, { username: "alice", password: "bob-secret" })).toBe(4);
    expect(await connectResult(t.authPort, { username: "alice", password: pw("alice") })).toBe(0);
  });

  it("A cannot subscribe to B's subtree, devices, agents or wildcards reaching them (SUBACK 0x80)", async () => {
    const alice = await login("alice");
    const refused = [`${base}/tenants/B/#`, `${base}/devices/dB/state`, `${base}/agents/agB/#`, `${base}/tenants/+/x`, `${base}/+/B/#`, `${base}/#`, "los/#", "#", `${base}/replies/#`];
    const allowed = [`${base}/tenants/A/#`, `${base}/devices/dA/state`, `${base}/agents/agA/#`, `${base}/status`, `${base}/shared/weather/#`];
    expect(await subackCodes(alice, [...refused, ...allowed])).toEqual([...refused.map(() => 128), ...allowed.map(() => 0)]);
    expect(alice.connected).toBe(true);
  });

  it("A never receives B's messages while its own subscription gets its own", async () => {
    const alice = await login("alice");
    const got = collect(alice);
    expect(await subackCodes(alice, [`${base}/tenants/A/#`, `${base}/tenants/B/#`, `${base}/#`, "#"])).toEqual([0, 128, 128, 128]);
    const admin = await login("admin");
    const bob = await login("bob");
    await bob.publishAsync(`${base}/tenants/B/secret`, "b-private", { qos: 1 });
    await admin.publishAsync(`${base}/devices/dB/state`, "b-device", { qos: 1 });
    await admin.publishAsync(`${base}/agents/agB/out/x`, "b-agent", { qos: 1 });
    await t.broker.client.publish(`${base}/tenants/B/from-gateway`, "b-gw");
    await marker(admin, got, `${base}/tenants/A/mine`);
    expect(got.got.map((m) => m.topic)).toEqual([`${base}/tenants/A/mine`]);
  });

  it("A publishing into B's subtree is disconnected and B receives nothing", async () => {
    const bob = await login("bob");
    const bobGot = collect(bob);
    await bob.subscribeAsync(`${base}/tenants/B/#`);
    const alice = await login("alice");
    const closed = closedBy(alice);
    alice.publish(`${base}/tenants/B/inbox`, "from A");
    await closed;
    await marker(bob, bobGot, `${base}/tenants/B/after`);
    expect(bobGot.got.map((m) => m.payload)).not.toContain("from A");
  });

  it("A writing B's device is disconnected; its own device's write topic is allowed", async () => {
    const admin = await login("admin");
    const seen = collect(admin);
    await admin.subscribeAsync(`${base}/devices/+/write`);
    const alice = await login("alice");
    await alice.publishAsync(`${base}/devices/dA/write`, JSON.stringify({ point: "p", value: 1, reason: "r" }), { qos: 1 });
    await seen.until((m) => m.topic === `${base}/devices/dA/write`);
    const closed = closedBy(alice);
    alice.publish(`${base}/devices/dB/write`, JSON.stringify({ point: "p", value: 1, reason: "r" }));
    await closed;
    await marker(admin, seen, `${base}/devices/dA/write`);
    expect(seen.got.some((m) => m.topic === `${base}/devices/dB/write`)).toBe(false);
    expect(t.broker.stats().notAuthorized).toBeGreaterThan(0);
  });
});

describe("agent users", () => {
  it("an agent cannot read another agent's in/ topics (SUBACK 0x80), only its own", async () => {
    const agA = await login("agA");
    const filters = [`${base}/agents/agB/in/#`, `${base}/agents/+/in/#`, `${base}/agents/agB/#`, `${base}/agents/agA/#`, `${base}/agents/agA/in/#`];
    expect(await subackCodes(agA, filters)).toEqual([128, 128, 128, 128, 0]);
  });

  it("an agent publishing into another agent's topics or an ungranted out/ sub-topic is disconnected; its granted out/ flows", async () => {
    const agB = await login("agB");
    const bGot = collect(agB);
    await agB.subscribeAsync(`${base}/agents/agB/in/#`);
    const admin = await login("admin");
    const adminGot = collect(admin);
    await admin.subscribeAsync(`${base}/agents/#`);
    const agA = await login("agA");
    await agA.publishAsync(`${base}/agents/agA/out/hello`, "ok", { qos: 1 });
    await adminGot.until((m) => m.topic === `${base}/agents/agA/out/hello`);
    for (const topic of [`${base}/agents/agB/in/tasks`, `${base}/agents/agB/out/x`, `${base}/agents/agA/in/readings`, `${base}/agents/agA/status`, `${base}/agents/agA/out/ungranted`]) {
      const intruder = await login("agA");
      const closed = closedBy(intruder);
      intruder.publish(topic, "forged");
      await closed;
    }
    await marker(admin, bGot, `${base}/agents/agB/in/tasks`);
    expect(bGot.got.filter((m) => m.payload === "forged")).toEqual([]);
    await marker(admin, adminGot, `${base}/agents/agA/out/after`);
    expect(adminGot.got.filter((m) => m.payload === "forged")).toEqual([]);
  });
});

describe("publish rate limits", () => {
  it("a flooding tenant user is held to its rate while another client's messages keep flowing", async () => {
    const admin = await login("admin");
    const got = collect(admin);
    await admin.subscribeAsync(`${base}/tenants/#`);
    const bob = await login("bob"); // tenant B: 5 messages/s, burst 5
    const alice = await login("alice"); // tenant A: 1000 messages/s
    const before = t.broker.stats().publishThrottled;
    for (let i = 0; i < 25; i++) bob.publish(`${base}/tenants/B/flood`, `b${i}`);
    await got.until((m) => m.payload === "b4"); // the burst went through
    for (let i = 0; i < 200 && t.broker.stats().publishThrottled === before; i++) await new Promise((r) => setTimeout(r, 5));
    for (let i = 0; i < 20; i++) alice.publish(`${base}/tenants/A/steady`, `a${i}`);
    await got.until((m) => m.payload === "a19");
    const fromBob = got.got.filter((m) => m.topic.endsWith("/flood")).map((m) => m.payload);
    expect(fromBob.length).toBeLessThan(25);
    expect(fromBob).toEqual(Array.from({ length: fromBob.length }, (_, i) => `b${i}`)); // in order, none lost so far
    expect(got.got.filter((m) => m.topic.endsWith("/steady"))).toHaveLength(20);
    expect(t.broker.stats().publishThrottled).toBeGreaterThan(before);
    expect(bob.connected).toBe(true);
    const warnings = t.logger.entries.filter((e) => e.obj.code === "LOS_E_BUS_RATE_LIMITED" && e.obj.username === "bob");
    expect(warnings).toHaveLength(1);
  });
});
