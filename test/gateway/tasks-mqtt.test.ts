/**
 * Tasks over MQTT with real clients: the admin creates and cancels any task, a tenant user only its
 * tenant's (another tenant's is refused with a code), a duplicate id gets a coded reply, and the
 * retained `tasks/<id>/state` follows every transition.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import mqtt, { type MqttClient } from "mqtt";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Agent } from "../../src/agents/agent.js";
import { loadConfigValue } from "../../src/config/load.js";
import { buildGateway, type Gateway } from "../../src/gateway.js";
import type { ModbusSimulator } from "../../simulators/modbus/simulator.js";
import { gatewayConfigObject, removeDir, startGreenhouse, tempDir, TEST_SCRYPT, waitFor } from "./helpers.js";

const BASE = "los/v1/test-site/gw1";
let sim: ModbusSimulator;
let gw: Gateway;
let dataDir: string;
const clients: MqttClient[] = [];

async function client(username: string, password: string): Promise<{ c: MqttClient; inbox: Map<string, unknown> }> {
  const port = gw.broker.listeners()[1]!.port;
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username, password, reconnectPeriod: 0, connectTimeout: 5000 });
  clients.push(c);
  const inbox = new Map<string, unknown>();
  c.on("message", (topic, payload) => inbox.set(topic, payload.length ? JSON.parse(payload.toString("utf8")) : ""));
  return { c, inbox };
}

async function request(who: { c: MqttClient; inbox: Map<string, unknown> }, topic: string, body: object, replyBase: string): Promise<Record<string, unknown>> {
  const correlationId = `c${Math.random().toString(36).slice(2)}`;
  const replyTopic = `${replyBase}/${correlationId}`;
  await who.c.subscribeAsync(replyTopic);
  await who.c.publishAsync(topic, JSON.stringify({ ...body, correlationId }));
  return waitFor(() => who.inbox.get(replyTopic) as Record<string, unknown> | undefined, { what: `reply on ${replyTopic}` });
}

beforeAll(async () => {
  sim = await startGreenhouse();
  dataDir = await tempDir();
  const obj = gatewayConfigObject({ simPort: sim.port!, dataDir });
  obj.tenants = [
    { id: "growers", users: [{ username: "grower", passwordEnv: "GROWER_PW" }] },
    { id: "others", users: [{ username: "other", passwordEnv: "OTHER_PW" }] },
  ];
  gw = await buildGateway(loadConfigValue(obj, dataDir), { scrypt: TEST_SCRYPT, env: { GROWER_PW: "grow-secret-1", OTHER_PW: "other-secret-1" } });
  const a = new Agent("doer", { tenant: "growers", register: false });
  a.onCallForProposals(() => ({ value: 1 }));
  a.onTask("note", (run) => ({ seen: run.params }));
  a.onTask("wait", (_run, ctx) => new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true })));
  gw.addAgent(a);
  await waitFor(() => gw.agents.running().length === 1, { what: "doer running" });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
  await gw?.close();
  await sim?.close();
  await removeDir(dataDir);
});

describe("tasks over MQTT", () => {
  it("admin: create → reply with the stored record; the retained state ends done; a duplicate id is coded", async () => {
    const admin = await client("admin", readFileSync(join(dataDir, "bus-admin-password"), "utf8").trim());
    const reply = await request(admin, `${BASE}/tasks/create`, { id: "m1", type: "note", params: { a: 1 }, auction: { bidWindowMs: 50 } }, `${BASE}/replies`);
    expect(reply).toMatchObject({ ok: true, data: { id: "m1", type: "note", state: "pending", createdBy: "user:admin" } });
    await admin.c.subscribeAsync(`${BASE}/tasks/m1/state`);
    const state = await waitFor(() => (admin.inbox.get(`${BASE}/tasks/m1/state`) as { state?: string } | undefined)?.state === "done" && admin.inbox.get(`${BASE}/tasks/m1/state`), { what: "retained done" });
    expect(state).toMatchObject({ id: "m1", winner: "doer", result: { seen: { a: 1 } } });
    const dup = await request(admin, `${BASE}/tasks/create`, { id: "m1", type: "note" }, `${BASE}/replies`);
    expect(dup).toMatchObject({ ok: false, error: { code: "LOS_E_TASK_DUPLICATE" } });
    const bad = await request(admin, `${BASE}/tasks/create`, { type: "note", priority: 12 }, `${BASE}/replies`);
    expect(bad).toMatchObject({ ok: false, error: { code: "LOS_E_TASK_INVALID", details: { field: "priority" } } });
  });

  it("tenant user: its tasks get its tenant; another tenant's are refused; it cancels its own running task", async () => {
    const grower = await client("grower", "grow-secret-1");
    const replies = `${BASE}/tenants/growers/replies`;
    const foreign = await request(grower, `${BASE}/tasks/create`, { type: "note", tenant: "others" }, replies);
    expect(foreign).toMatchObject({ ok: false, error: { code: "LOS_E_WRITE_NOT_PERMITTED" } });
    const mine = await request(grower, `${BASE}/tasks/create`, { id: "g1", type: "wait", auction: { bidWindowMs: 50 } }, replies);
    expect(mine).toMatchObject({ ok: true, data: { id: "g1", tenant: "growers", createdBy: "user:grower" } });
    await gw.tasks.waitFor("g1", ["running"]);
    const cancelled = await request(grower, `${BASE}/tasks/g1/cancel`, { reason: "changed plans" }, replies);
    expect(cancelled).toMatchObject({ ok: true, data: { id: "g1", state: "cancelled" } });
    expect(gw.tasks.events("g1").at(-1)).toMatchObject({ event: "cancelled", data: { by: "user:grower", reason: "changed plans" } });
  });

  it("a tenant user cannot cancel another tenant's task: the broker ACL drops the request unanswered, the task runs on", async () => {
    gw.tasks.create({ id: "g2", type: "wait", tenant: "growers", auction: { bidWindowMs: 50 } }, "code");
    await gw.tasks.waitFor("g2", ["running"]);
    const other = await client("other", "other-secret-1");
    const correlationId = "o-cancel";
    await other.c.subscribeAsync(`${BASE}/tenants/others/replies/${correlationId}`);
    await other.c.publishAsync(`${BASE}/tasks/g2/cancel`, JSON.stringify({ correlationId })).catch(() => undefined);
    const admin = await client("admin", readFileSync(join(dataDir, "bus-admin-password"), "utf8").trim());
    await request(admin, `${BASE}/tasks/create`, { type: "note", auction: { bidWindowMs: 20 } }, `${BASE}/replies`); // a round trip after the cancel
    expect(other.inbox.get(`${BASE}/tenants/others/replies/${correlationId}`)).toBeUndefined();
    expect(gw.tasks.get("g2")?.state).toBe("running");
    await gw.tasks.cancel("g2", "code", "test over");
  });
});
