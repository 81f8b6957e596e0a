import type { MqttClient } from "mqtt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startBroker, type BrokerHandle } from "../../src/bus/broker.js";
import { createCredentialStore } from "../../src/bus/credentials.js";
import { ManualClock } from "../../src/core/clock.js";
import type { CoordinationRequest } from "../../src/core/task-types.js";
import { FactsRepo } from "../../src/store/facts-repo.js";
import { LeasesRepo } from "../../src/store/leases-repo.js";
import { createCoordination, type Coordination, type CoordinationDeps } from "../../src/tasks/coordination.js";
import { connectClient } from "../bus/helpers.js";
import { StateFile } from "./coordination-helpers.js";

const BASE = "los/v1/s1/g1";
const TENANTS: Record<string, string> = { a1: "t1", a2: "t1", b1: "t2" };

interface Msg {
  topic: string;
  payload: string;
  retain: boolean;
}

async function subscriber(port: number, filters: string[]): Promise<{ client: MqttClient; msgs: Msg[] }> {
  const client = await connectClient(port);
  const msgs: Msg[] = [];
  client.on("message", (topic, payload, packet) => msgs.push({ topic, payload: payload.toString(), retain: packet.retain }));
  for (const f of filters) await client.subscribeAsync(f, { qos: 1 });
  return { client, msgs };
}

/** Poll a condition in a short bounded loop (the broker delivers asynchronously). */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("createCoordination", () => {
  let file: StateFile;
  let clock: ManualClock;
  let broker: BrokerHandle;
  let port: number;
  let coord: Coordination;
  let clients: MqttClient[];
  let taskCalls: [string, CoordinationRequest][];

  const build = (extra: Partial<CoordinationDeps> = {}) => {
    const db = file.open();
    return createCoordination({
      store: { leases: new LeasesRepo(db), facts: new FactsRepo(db) },
      bus: broker.client,
      scope: { site: "s1", gateway: "g1" },
      clock,
      canWrite: (actor, point) => point.startsWith("gh1/") && actor.id !== "reader",
      agentTenant: (id) => TENANTS[id],
      driveToSafe: async () => {},
      siteId: "s1",
      ...extra,
    });
  };

  beforeEach(async () => {
    file = new StateFile();
    clock = new ManualClock();
    clients = [];
    taskCalls = [];
    broker = await startBroker({ listeners: [{ kind: "tcp", host: "127.0.0.1", port: 0, allowAnonymous: true }], credentials: createCredentialStore([]) });
    port = broker.listeners()[0]!.port;
    coord = build();
  });
  afterEach(async () => {
    coord.close();
    for (const c of clients) await c.endAsync(true);
    await broker.close();
    file.cleanup();
  });

  const sub = async (filters: string[]) => {
    const s = await subscriber(port, filters);
    clients.push(s.client);
    return s.msgs;
  };

  describe("facts", () => {
    it("scopes: own agent facts, own tenant's, site written only by agents without a tenant", async () => {
      expect(await coord.handle("a1", { op: "fact.put", scope: "tenant", key: "load/kw", value: 12.5 })).toMatchObject({ ok: true, fact: { scope: "tenant", owner: "t1", by: "a1" } });
      expect(await coord.handle("a2", { op: "fact.get", scope: "tenant", key: "load/kw" })).toMatchObject({ ok: true, fact: { value: 12.5, by: "a1" } });
      expect(await coord.handle("b1", { op: "fact.get", scope: "tenant", key: "load/kw" })).toEqual({ ok: true, fact: null });
      expect(await coord.handle("a1", { op: "fact.put", scope: "agent", key: "note", value: "mine" })).toMatchObject({ ok: true, fact: { owner: "a1" } });
      expect(await coord.handle("a2", { op: "fact.get", scope: "agent", key: "note" })).toEqual({ ok: true, fact: null });
      expect(await coord.handle("a1", { op: "fact.put", scope: "site", key: "weather", value: "sun" })).toMatchObject({ ok: false, code: "LOS_E_FACT_FORBIDDEN" });
      expect(await coord.handle("a1", { op: "fact.delete", scope: "site", key: "weather" })).toMatchObject({ ok: false, code: "LOS_E_FACT_FORBIDDEN" });
      expect(await coord.handle("site-agent", { op: "fact.put", scope: "site", key: "weather", value: "sun" })).toMatchObject({ ok: true, fact: { owner: "s1" } });
      expect(await coord.handle("a1", { op: "fact.get", scope: "site", key: "weather" })).toMatchObject({ ok: true, fact: { value: "sun" } });
      expect(await coord.handle("site-agent", { op: "fact.put", scope: "tenant", key: "x", value: 1 })).toMatchObject({ ok: false, code: "LOS_E_FACT_FORBIDDEN" });
      expect(await coord.handle("a1", { op: "fact.put", scope: "tenant", key: "../etc", value: 1 })).toMatchObject({ ok: false, code: "LOS_E_FACT_INVALID" });
      expect(await coord.handle("a1", { op: "fact.get", scope: "tenant", key: "" })).toMatchObject({ ok: false, code: "LOS_E_FACT_INVALID" });
      expect(await coord.handle("a1", { op: "fact.put", scope: "planet" as "site", key: "k", value: 1 })).toMatchObject({ ok: false, code: "LOS_E_FACT_INVALID" });
      expect(await coord.handle("a1", { op: "fact.delete", scope: "tenant", key: "load/kw" })).toMatchObject({ ok: true, fact: { value: 12.5 } });
      expect(coord.facts.list({ scope: "tenant" })).toEqual([]);
    });

    it("are retained on the bus and cleared when they expire or are deleted", async () => {
      const live = await sub([`${BASE}/facts/#`]);
      await coord.handle("a1", { op: "fact.put", scope: "tenant", key: "price", value: 0.3, ttlMs: 1000 });
      await coord.handle("a1", { op: "fact.put", scope: "agent", key: "state", value: { on: true } });
      await until(() => live.length === 2, "two facts");
      expect(live.map((m) => m.topic)).toEqual([`${BASE}/facts/tenants/t1/price`, `${BASE}/facts/agents/a1/state`]);
      expect(JSON.parse(live[0]!.payload)).toMatchObject({ scope: "tenant", owner: "t1", key: "price", value: 0.3, expiresAt: clock.now() + 1000 });

      // a client arriving later gets the retained values
      const late = await sub([`${BASE}/facts/#`]);
      await until(() => late.length === 2, "retained facts");
      expect(late.every((m) => m.retain)).toBe(true);

      clock.advance(1000);
      await coord.handle("a1", { op: "fact.delete", scope: "agent", key: "state" });
      await until(() => live.length === 4, "two clearings");
      expect(live.slice(2).map((m) => [m.topic, m.payload])).toEqual([
        [`${BASE}/facts/tenants/t1/price`, ""],
        [`${BASE}/facts/agents/a1/state`, ""],
      ]);
      await coord.handle("site-agent", { op: "fact.put", scope: "site", key: "marker", value: 1 });
      const after = await sub([`${BASE}/facts/tenants/#`, `${BASE}/facts/agents/#`, `${BASE}/facts/site/#`]);
      await until(() => after.length > 0, "the marker");
      expect(after.map((m) => m.topic)).toEqual([`${BASE}/facts/site/marker`]);
    });
  });

  describe("leases", () => {
    it("are retained on the bus while held and cleared on release", async () => {
      const live = await sub([`${BASE}/leases/#`]);
      expect(await coord.handle("a1", { op: "lease.acquire", point: "gh1/vent", ttlMs: 2000 })).toMatchObject({ ok: true, lease: { resource: "point:gh1/vent", token: 1 } });
      await until(() => live.length === 1, "the lease");
      expect(live[0]!.topic).toBe(`${BASE}/leases/points/gh1/vent`);
      expect(JSON.parse(live[0]!.payload)).toMatchObject({ holder: "a1", kind: "lease", until: clock.now() + 2000 });
      expect(await coord.handle("a2", { op: "lease.release", point: "gh1/vent" })).toMatchObject({ ok: false, code: "LOS_E_LEASE_NOT_HELD" });
      expect(await coord.handle("a1", { op: "lease.release", point: "gh1/vent" })).toEqual({ ok: true });
      await until(() => live.length === 2, "the clearing");
      expect(live[1]).toMatchObject({ topic: `${BASE}/leases/points/gh1/vent`, payload: "" });
    });

    it("a reservation is published when it starts", async () => {
      const live = await sub([`${BASE}/leases/#`]);
      const from = clock.now() + 1000;
      expect(await coord.handle("a1", { op: "lease.reserve", point: "gh1/vent", inMs: 1000, forMs: 500 })).toMatchObject({ ok: true, lease: { kind: "reservation", from, until: from + 500 } });
      await until(() => live.length === 1, "grant");
      expect(live[0]!.payload).toBe(""); // nothing in force yet
      clock.advance(1000);
      await until(() => live.length === 2, "start");
      expect(JSON.parse(live[1]!.payload)).toMatchObject({ holder: "a1", kind: "reservation", from });
      clock.advance(500);
      await until(() => live.length === 3, "end");
      expect(live[2]!.payload).toBe("");
    });

    it("only points the agent may write; malformed points are invalid", async () => {
      expect(await coord.handle("reader", { op: "lease.acquire", point: "gh1/vent", ttlMs: 1000 })).toMatchObject({ ok: false, code: "LOS_E_WRITE_NOT_PERMITTED" });
      expect(await coord.handle("a1", { op: "lease.acquire", point: "gh2/vent", ttlMs: 1000 })).toMatchObject({ ok: false, code: "LOS_E_WRITE_NOT_PERMITTED" });
      expect(await coord.handle("a1", { op: "lease.acquire", point: "vent", ttlMs: 1000 })).toMatchObject({ ok: false, code: "LOS_E_LEASE_INVALID" });
      expect(await coord.handle("a1", { op: "lease.acquire", point: "gh1/vent", ttlMs: 50 })).toMatchObject({ ok: false, code: "LOS_E_LEASE_INVALID" });
      expect(await coord.handle("a1", { op: "lease.reserve", point: "gh1/vent", inMs: -10, forMs: 20 })).toMatchObject({ ok: false, code: "LOS_E_LEASE_INVALID" });
      expect(await coord.handle("a1", { op: "lease.reserve", point: "gh1/vent", inMs: 10, forMs: 0 })).toMatchObject({ ok: false, code: "LOS_E_LEASE_INVALID" });
    });
  });

  describe("intents", () => {
    it("are published (not retained); a different value in an overlapping window or on a held point is a conflict", async () => {
      const live = await sub([`${BASE}/intents/#`]);
      expect(await coord.handle("a1", { op: "intent", point: "gh1/vent", value: 40, inMs: 1000, reason: "cool down" })).toEqual({ ok: true });
      await until(() => live.length === 1, "intent");
      expect(live[0]!.topic).toBe(`${BASE}/intents/gh1/vent`);
      expect(live[0]!.retain).toBe(false);
      expect(JSON.parse(live[0]!.payload)).toEqual({ agent: "a1", point: "gh1/vent", value: 40, at: clock.now() + 1000, reason: "cool down" });

      expect(await coord.handle("a2", { op: "intent", point: "gh1/vent", value: 90, inMs: 500, reason: "x" })).toMatchObject({ ok: false, code: "LOS_E_LEASE_CONFLICT", holder: "a1" });
      expect(await coord.handle("a2", { op: "intent", point: "gh1/vent", value: 40, inMs: 500, reason: "agree" })).toEqual({ ok: true });
      expect(await coord.handle("a2", { op: "intent", point: "gh1/heater", value: true, inMs: 500, reason: "other point" })).toEqual({ ok: true });
      clock.advance(1001);
      expect(await coord.handle("b1", { op: "intent", point: "gh1/vent", value: 90, inMs: 500, reason: "later" })).toEqual({ ok: true });

      await coord.handle("a1", { op: "lease.acquire", point: "gh1/fan", ttlMs: 1000 });
      expect(await coord.handle("a2", { op: "intent", point: "gh1/fan", value: 1, inMs: 100, reason: "x" })).toMatchObject({ ok: false, code: "LOS_E_LEASE_CONFLICT", holder: "a1" });
      await coord.handle("b1", { op: "lease.reserve", point: "gh1/pump", inMs: 5000, forMs: 1000 });
      expect(await coord.handle("a2", { op: "intent", point: "gh1/pump", value: 1, inMs: 4000, reason: "before the window" })).toEqual({ ok: true });
      expect(await coord.handle("a2", { op: "intent", point: "gh1/pump", value: 1, inMs: 5000, reason: "in the window" })).toMatchObject({ ok: false, code: "LOS_E_LEASE_CONFLICT", holder: "b1" });
      expect(await coord.handle("a2", { op: "intent", point: "gh1/pump", value: 1, inMs: -1, reason: "x" })).toMatchObject({ ok: false, code: "LOS_E_REQUEST_INVALID" });
      expect(await coord.handle("reader", { op: "intent", point: "gh1/vent", value: 1, inMs: 1, reason: "x" })).toMatchObject({ ok: false, code: "LOS_E_WRITE_NOT_PERMITTED" });
    });
  });

  it("task ops go to the task handler when there is one, else a coded refusal; junk is refused", async () => {
    expect(await coord.handle("a1", { op: "task.create", spec: { type: "x" } })).toMatchObject({ ok: false, code: "LOS_E_REQUEST_INVALID" });
    coord.close();
    coord = build({
      tasks: async (agent, req) => {
        taskCalls.push([agent, req]);
        return { ok: false, code: "LOS_E_TASK_UNKNOWN", message: "none" };
      },
    });
    expect(await coord.handle("a1", { op: "task.progress", taskId: "t", attempt: 1 })).toMatchObject({ code: "LOS_E_TASK_UNKNOWN" });
    expect(taskCalls).toEqual([["a1", { op: "task.progress", taskId: "t", attempt: 1 }]]);
    expect(await coord.handle("a1", { op: "nope" } as unknown as CoordinationRequest)).toMatchObject({ ok: false, code: "LOS_E_REQUEST_INVALID" });
    expect(await coord.handle("a1", null as unknown as CoordinationRequest)).toMatchObject({ ok: false, code: "LOS_E_REQUEST_INVALID" });
  });

  it("after a restart (new broker, same state.db) leases and facts are retained on the bus again", async () => {
    await coord.handle("a1", { op: "lease.acquire", point: "gh1/vent", ttlMs: 60_000 });
    await coord.handle("a1", { op: "fact.put", scope: "tenant", key: "price", value: 0.3 });
    await coord.handle("a1", { op: "fact.put", scope: "agent", key: "brief", value: 1, ttlMs: 1000 });
    coord.close();
    for (const c of clients.splice(0)) await c.endAsync(true);
    await broker.close();
    clock.advance(2000);

    broker = await startBroker({ listeners: [{ kind: "tcp", host: "127.0.0.1", port: 0, allowAnonymous: true }], credentials: createCredentialStore([]) });
    port = broker.listeners()[0]!.port;
    coord = build();
    const got = await sub([`${BASE}/leases/#`, `${BASE}/facts/#`]);
    await until(() => got.length >= 2, "retained lease and fact");
    expect(got.map((m) => [m.topic, m.retain]).sort()).toEqual([
      [`${BASE}/facts/tenants/t1/price`, true],
      [`${BASE}/leases/points/gh1/vent`, true],
    ]);
    expect(await coord.handle("a2", { op: "lease.acquire", point: "gh1/vent", ttlMs: 1000 })).toMatchObject({ ok: false, holder: "a1" });
    expect(await coord.handle("a1", { op: "fact.get", scope: "agent", key: "brief" })).toEqual({ ok: true, fact: null });
  });

  it("an expired actuator lease asks for the safe value once; a task lease does not", async () => {
    coord.close();
    const safe: string[] = [];
    coord = build({ driveToSafe: async (point, reason) => void safe.push(`${point}: ${reason}`) });
    await coord.handle("a1", { op: "lease.acquire", point: "gh1/vent", ttlMs: 1000 });
    coord.leases.acquire("task:t1", "a1", 1000);
    clock.advance(5000);
    expect(safe).toEqual(["gh1/vent: lease of agent a1 on gh1/vent expired"]);
  });
});
