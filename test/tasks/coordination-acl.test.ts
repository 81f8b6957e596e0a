/**
 * The broker ACL of the coordination topics with real MQTT clients: who may read facts, leases,
 * intents and task states, who may create tasks, and that nobody but the gateway publishes them.
 */
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCredentialStore, hashPassword } from "../../src/bus/credentials.js";
import { TenantAuthorizer, type TenantAclModel } from "../../src/bus/tenant-authorizer.js";
import { closedBy, collect, connectClient, startTestBroker, subackCodes, TEST_SCRYPT, type TestBroker } from "../bus/helpers.js";

const base = "los/v1/s1/gw1";
const model: TenantAclModel = {
  scope: { site: "s1", gateway: "gw1" },
  tenants: [{ id: "A" }, { id: "B" }],
  devices: [{ id: "dA", tenant: "A" }, { id: "dB", tenant: "B" }],
  agents: [
    { id: "agA", tenant: "A" },
    { id: "agB", tenant: "B" },
    { id: "site", publish: [] },
  ],
};
const TASKS: Record<string, string> = { tA: "A", tB: "B" };
const users = [
  { username: "admin", role: "admin" as const },
  { username: "alice", role: "tenant" as const, tenant: "A" },
  { username: "agA", role: "agent" as const, tenant: "A" },
  { username: "site", role: "agent" as const },
];
const pw = (u: string) => `${u}-secret`;

let t: TestBroker;
let authorizer: TenantAuthorizer;
const open: MqttClient[] = [];
async function login(username: string): Promise<MqttClient> {
  const c = await connectClient(t.authPort, { username, password: pw(username), clientId: `${username}-${open.length}` });
  open.push(c);
  return c;
}

beforeAll(async () => {
  const records = await Promise.all(users.map((u) => hashPassword(u, pw(u.username), TEST_SCRYPT)));
  authorizer = new TenantAuthorizer(model);
  t = await startTestBroker({ credentials: createCredentialStore(records), authorizer });
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.endAsync(true).catch(() => {})));
  await t.broker.close();
});

describe("coordination topics", () => {
  it("a tenant user reads its tenant's and the site's facts, its devices' leases and intents, and its tasks' states", async () => {
    const alice = await login("alice");
    const refused = [
      `${base}/facts/tenants/B/#`,
      `${base}/facts/#`,
      `${base}/facts/agents/agA/#`,
      `${base}/leases/points/dB/#`,
      `${base}/leases/#`,
      `${base}/intents/dB/#`,
      `${base}/tasks/tB/state`,
      `${base}/tasks/+/state`,
      `${base}/tasks/unknown/state`,
    ];
    const allowed = [
      `${base}/facts/tenants/A/#`,
      `${base}/facts/site/#`,
      `${base}/leases/points/dA/#`,
      `${base}/intents/dA/+`,
      `${base}/tasks/tA/state`,
    ];
    // before the task manager is wired, no task state is readable
    expect(await subackCodes(alice, [`${base}/tasks/tA/state`])).toEqual([128]);
    authorizer.setTaskTenant((id) => TASKS[id]);
    expect(await subackCodes(alice, [...refused, ...allowed])).toEqual([...refused.map(() => 128), ...allowed.map(() => 0)]);
  });

  it("an agent user reads the site's facts, its tenant's and its own, nobody else's", async () => {
    const agA = await login("agA");
    const refused = [`${base}/facts/agents/agB/#`, `${base}/facts/tenants/B/#`, `${base}/facts/#`, `${base}/leases/points/dB/#`];
    const allowed = [`${base}/facts/site/#`, `${base}/facts/tenants/A/#`, `${base}/facts/agents/agA/#`];
    expect(await subackCodes(agA, [...refused, ...allowed])).toEqual([...refused.map(() => 128), ...allowed.map(() => 0)]);
    const site = await login("site");
    expect(await subackCodes(site, [`${base}/facts/site/x`, `${base}/facts/tenants/A/#`])).toEqual([0, 128]);
  });

  it("a tenant user publishes tasks/create and its own tasks' cancel, not another tenant's", async () => {
    authorizer.setTaskTenant((id) => TASKS[id]);
    const admin = await login("admin");
    const seen = collect(admin);
    await admin.subscribeAsync(`${base}/tasks/#`);
    const alice = await login("alice");
    await alice.publishAsync(`${base}/tasks/create`, JSON.stringify({ type: "x" }), { qos: 1 });
    await alice.publishAsync(`${base}/tasks/tA/cancel`, JSON.stringify({ reason: "r" }), { qos: 1 });
    await seen.until((m) => m.topic === `${base}/tasks/tA/cancel`);
    const intruder = await login("alice");
    const closed = closedBy(intruder);
    intruder.publish(`${base}/tasks/tB/cancel`, "forged");
    await closed;
    await admin.publishAsync(`${base}/tasks/marker`, "m", { qos: 1 });
    await seen.until((m) => m.payload === "m");
    expect(seen.got.map((m) => m.topic)).toEqual([`${base}/tasks/create`, `${base}/tasks/tA/cancel`, `${base}/tasks/marker`]);
  });

  it("nobody but the gateway publishes facts, leases, intents or task states, not even admin", async () => {
    const watcher = await login("admin");
    const seen = collect(watcher);
    await watcher.subscribeAsync([`${base}/facts/#`, `${base}/leases/#`, `${base}/intents/#`, `${base}/tasks/+/state`]);
    const forged = [
      ["admin", `${base}/facts/site/price`],
      ["admin", `${base}/leases/points/dA/p`],
      ["admin", `${base}/intents/dA/p`],
      ["admin", `${base}/tasks/tA/state`],
      ["alice", `${base}/facts/tenants/A/k`],
      ["alice", `${base}/tasks/tA/state`],
      ["agA", `${base}/facts/agents/agA/k`],
      ["site", `${base}/facts/site/k`],
    ] as const;
    for (const [user, topic] of forged) {
      const c = await login(user);
      const closed = closedBy(c);
      c.publish(topic, "forged");
      await closed;
    }
    await t.broker.client.publish(`${base}/facts/site/real`, "from the gateway");
    await seen.until((m) => m.payload === "from the gateway");
    expect(seen.got.map((m) => m.payload)).toEqual(["from the gateway"]);
  });
});
