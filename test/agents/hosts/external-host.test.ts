import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { BrokerHandle } from "../../../src/bus/broker.js";
import { isLosError } from "../../../src/core/errors.js";
import { createExternalHost, ExternalHost } from "../../../src/agents/hosts/external-host.js";
import { agentClient, BASE, hostOptions, startAgentBroker, VENT, waitUntil, type Inbox } from "../external/fixture.js";

const reading = (point: string, value: number) => ({ point, value, quality: "good" as const, ts: 1 });

describe("external host over a real broker and a real MQTT agent", () => {
  let broker: BrokerHandle;
  let port: number;
  const open: Inbox[] = [];
  const hosts: ExternalHost[] = [];

  beforeAll(async () => {
    ({ broker, port } = await startAgentBroker());
  });
  afterAll(() => broker.close());
  afterEach(async () => {
    for (const h of hosts.splice(0)) await h.stop(0);
    for (const c of open.splice(0)) await c.client.endAsync(true).catch(() => {}); // some tests leave it closed
  });

  async function setup(config = VENT) {
    const o = hostOptions(broker, config);
    const host = createExternalHost(o) as ExternalHost;
    hosts.push(host);
    await host.start();
    return { host, rec: o.rec };
  }
  async function agent(user: "vent" | "other" | "admin" = "vent") {
    const a = await agentClient(port, user);
    open.push(a);
    return a;
  }
  async function registered(a: Inbox) {
    const from = a.got.length;
    await a.send("register", { protocol: 1, language: "test", version: "0.1", pid: 42 });
    return a.next("registered", () => true, from);
  }

  it("start() resolves before any agent connects; register is answered with the manifest summary", async () => {
    const { host, rec } = await setup();
    expect(host.kind).toBe("external");
    expect(host.session()).toBeUndefined();
    const a = await agent();
    const reply = await registered(a);
    expect(reply).toMatchObject({
      ok: true,
      data: {
        agent: "vent",
        tenant: "growers",
        protocol: 1,
        heartbeatMs: 100,
        capabilities: { read: ["gh1/*"], write: ["gh1/vent"], publish: ["decisions"], subscribe: [] },
        limits: { messagesPerSecond: 100, actuationsPerMinute: 120 },
        base: BASE,
      },
    });
    expect(host.session()).toMatchObject({ language: "test", version: "0.1", pid: 42, clientId: a.client.options.clientId });
    expect(rec.heartbeats.length).toBe(1);
  });

  it("heartbeats reach the supervisor with the agent's usage", async () => {
    const { host, rec } = await setup();
    const a = await agent();
    await registered(a);
    await a.send("heartbeat", { usage: { cpuMs: 12.5, heapBytes: 1000 } });
    await waitUntil(() => rec.heartbeats.length === 2, "heartbeat");
    expect(rec.heartbeats[1]).toEqual({ cpuMs: 12.5, heapBytes: 1000 });
    expect(host.usage()).toMatchObject({ cpuMs: 12.5, heapBytes: 1000 });
  });

  it("readings go out only while registered, batched per turn", async () => {
    const { host } = await setup();
    const a = await agent();
    host.deliver([reading("gh1/temperature", 1)]); // nobody registered: dropped
    await registered(a);
    host.deliver([reading("gh1/temperature", 2)]);
    host.deliver([reading("gh1/humidity", 60)]);
    const batch = await a.next("readings");
    expect(batch.readings).toEqual([reading("gh1/temperature", 2), reading("gh1/humidity", 60)]);
    expect(a.got.filter((m) => m.kind === "readings")).toHaveLength(1);
  });

  it("a registering agent first gets the latest readings it may read (readings are reported by exception)", async () => {
    const o = hostOptions(broker);
    o.snapshot = () => [reading("gh1/temperature", 21), reading("gh1/humidity", 55)];
    const host = new ExternalHost(o);
    hosts.push(host);
    await host.start();
    const a = await agent();
    const from = a.got.length;
    await registered(a);
    const first = await a.next("readings", () => true, from);
    expect(first.readings).toEqual([reading("gh1/temperature", 21), reading("gh1/humidity", 55)]);
  });

  it("actuate requests go through the checked calls and are answered with the correlation id", async () => {
    const { rec } = await setup();
    const a = await agent();
    await registered(a);
    await a.send("actuate", { correlationId: "c1", point: "gh1/vent", value: 40, reason: "too warm" });
    await a.send("actuate", { correlationId: "c2", point: "gh1/heater", value: true, reason: "cold" });
    await a.send("actuate", { correlationId: "c3", point: "gh9/valve", value: 1, reason: "not mine" });
    const ok = await a.next("replies", (b) => b.correlationId === "c1");
    const refused = await a.next("replies", (b) => b.correlationId === "c2");
    const thrown = await a.next("replies", (b) => b.correlationId === "c3");
    expect(ok).toEqual({ ok: true, data: { auditId: 1, point: "gh1/vent", value: 40 }, correlationId: "c1" });
    expect(refused).toMatchObject({ ok: false, error: { code: "LOS_E_WRITE_OUT_OF_RANGE", details: { auditId: 2, point: "gh1/heater" } } });
    expect(thrown).toMatchObject({ ok: false, error: { code: "LOS_E_WRITE_NOT_PERMITTED" } });
    expect(rec.actuations.map((x) => x.point)).toEqual(["gh1/vent", "gh1/heater", "gh9/valve"]);
  });

  it("malformed messages: answered with LOS_E_AGENT_PROTOCOL when they carry a correlationId, else counted and logged", async () => {
    const { host, rec } = await setup();
    const a = await agent();
    await registered(a);
    await a.send("actuate", { correlationId: "bad1", value: 1, reason: "no point" });
    const reply = await a.next("replies", (b) => b.correlationId === "bad1");
    expect(reply).toMatchObject({ ok: false, error: { code: "LOS_E_AGENT_PROTOCOL" } });
    expect(String((reply.error as { message: string }).message)).toMatch(/point/);
    await a.send("heartbeat", "not json at all");
    await a.send("log", { level: "loud", msg: "x" });
    await waitUntil(() => host.protocolErrors() === 3, "protocol errors counted");
    expect(rec.actuations).toHaveLength(0);
    expect(rec.logs).toHaveLength(0);
    // the session survives bad messages
    await a.send("log", { level: "info", msg: "still here", obj: { n: 1 } });
    await waitUntil(() => rec.logs.length === 1, "log forwarded");
    expect(rec.logs[0]).toMatchObject({ level: "info", msg: "still here", obj: { n: 1, agent: "vent" } });
  });

  it("an unsupported protocol version is refused on in/registered", async () => {
    const { host } = await setup();
    const a = await agent();
    await a.send("register", { protocol: 2, language: "test", correlationId: "r1" });
    const reply = await a.next("registered");
    expect(reply).toMatchObject({ ok: false, error: { code: "LOS_E_AGENT_PROTOCOL" }, correlationId: "r1" });
    expect(host.session()).toBeUndefined();
  });

  it("a running agent that disconnects is reported as exited (LOS_E_AGENT_CRASHED)", async () => {
    const { host, rec } = await setup();
    const a = await agent();
    await registered(a);
    a.client.stream.destroy(); // connection lost without DISCONNECT
    await waitUntil(() => rec.exits.length === 1, "exited");
    expect(rec.exits[0]).toEqual({ code: "LOS_E_AGENT_CRASHED", message: "disconnected" });
    expect(host.session()).toBeUndefined();
  });

  it("a register from a new connection takes the session over and closes the old one", async () => {
    const { host, rec } = await setup();
    const first = await agent();
    await registered(first);
    const closed = new Promise<void>((r) => first.client.once("close", () => r()));
    const second = await agent();
    await registered(second);
    await closed;
    expect(host.session()?.clientId).toBe(second.client.options.clientId);
    expect(rec.exits).toHaveLength(0);
    // the old connection no longer speaks for the agent; the new one does
    await second.send("actuate", { correlationId: "n1", point: "gh1/vent", value: 10, reason: "new session" });
    await second.next("replies", (b) => b.correlationId === "n1");
    second.client.stream.destroy();
    await waitUntil(() => rec.exits.length === 1, "exited");
  });

  it("a connection that has not registered is asked to register and cannot actuate", async () => {
    const { rec } = await setup();
    const a = await agent();
    const from = a.got.length;
    await a.send("heartbeat", {});
    await a.next("reregister", () => true, from);
    await a.send("actuate", { correlationId: "u1", point: "gh1/vent", value: 1, reason: "sneaky" });
    const reply = await a.next("replies", (b) => b.correlationId === "u1");
    expect(reply).toMatchObject({ ok: false, error: { code: "LOS_E_AGENT_PROTOCOL" } });
    await a.send("coordinate", { correlationId: "u2", request: { op: "lease.acquire", point: "gh1/vent", ttlMs: 1000 } });
    expect(await a.next("replies", (b) => b.correlationId === "u2")).toMatchObject({ ok: false, error: { code: "LOS_E_AGENT_PROTOCOL" } });
    expect(rec.coordinations).toHaveLength(0);
    expect(rec.actuations).toHaveLength(0);
    expect(rec.heartbeats).toHaveLength(0);
  });

  it("only the agent's own MQTT user can register; the broker ACL stops other agents, the host ignores admins", async () => {
    const { host } = await setup();
    const other = await agent("other");
    const closed = new Promise<void>((r) => other.client.once("close", () => r()));
    other.client.publish(`${BASE}/register`, JSON.stringify({ protocol: 1, language: "evil" }));
    await closed; // refused PUBLISH closes the connection (MQTT 3.1.1)
    const admin = await agent("admin");
    await admin.send("register", { protocol: 1, language: "admin" });
    await waitUntil(() => host.protocolErrors() === 1, "admin register counted");
    expect(host.session()).toBeUndefined();
  });

  it("stop() sends in/stop and resolves when the agent leaves, without reporting an exit", async () => {
    const { host, rec } = await setup();
    const a = await agent();
    await registered(a);
    a.client.on("message", (topic) => {
      if (topic !== `${BASE}/in/stop`) return;
      a.client.publish(`${BASE}/stopped`, "{}", { qos: 0 });
      a.client.end();
    });
    await host.stop(5000);
    expect(a.got.some((m) => m.kind === "stop" && m.body.graceMs === 5000)).toBe(true);
    expect(rec.exits).toHaveLength(0);
    expect(host.session()).toBeUndefined();
  });

  it("stop() closes an agent that ignores in/stop after the grace period", async () => {
    const { host, rec } = await setup();
    const a = await agent();
    await registered(a);
    const closed = new Promise<void>((r) => a.client.once("close", () => r()));
    await host.stop(50);
    await closed;
    expect(rec.exits).toHaveLength(0);
  });

  it("kill() disconnects the agent, forgets the session and reports the reason once", async () => {
    const { host, rec } = await setup();
    const a = await agent();
    await registered(a);
    const closed = new Promise<void>((r) => a.client.once("close", () => r()));
    host.kill({ code: "LOS_E_AGENT_HUNG", message: "no heartbeat" });
    await closed;
    await waitUntil(() => rec.exits.length === 1, "exit");
    expect(rec.exits).toEqual([{ code: "LOS_E_AGENT_HUNG", message: "no heartbeat" }]);
    host.deliver([reading("gh1/temperature", 1)]);
    expect(host.session()).toBeUndefined();
  });

  it("an agent that gives up is reported with its code; task runs reach a registered agent with QoS 1", async () => {
    const { host, rec } = await setup();
    const run = { taskId: "t1", type: "ventilate", params: { minutes: 5 }, attempt: 1 };
    await expect(host.ask({ kind: "run", run }, new AbortController().signal)).rejects.toSatisfy((e) => isLosError(e, "LOS_E_AGENT_UNKNOWN"));
    const a = await agent();
    await registered(a);
    const outcome = host.ask({ kind: "run", run }, new AbortController().signal);
    outcome.catch(() => {}); // asserted below, after the agent gave up
    await a.next("tasks");
    expect(a.got.find((m) => m.kind === "tasks")).toMatchObject({ qos: 1, body: run });
    await a.send("failed", { code: "LOS_E_AGENT_FAILED", message: "sensor model diverged" });
    await waitUntil(() => rec.exits.length === 1, "failed");
    expect(rec.exits[0]).toEqual({ code: "LOS_E_AGENT_FAILED", message: "sensor model diverged" });
    await expect(outcome).rejects.toSatisfy((e) => isLosError(e, "LOS_E_AGENT_UNKNOWN"));
  });

  it("a restarted host asks a still-connected agent to register again", async () => {
    const first = await setup();
    const a = await agent();
    await registered(a);
    first.host.kill({ code: "LOS_E_AGENT_HUNG", message: "test" });
    await waitUntil(() => first.rec.exits.length === 1, "exit");
    // the kill closed that connection: connect again, then a new host starts
    const b = await agent();
    const from = b.got.length;
    const { host } = await setup();
    await b.next("reregister", () => true, from);
    await registered(b);
    expect(host.session()).toBeDefined();
  });

  it("start() without the gateway's broker rejects with a coded error; container kind is reported", async () => {
    const o = hostOptions(broker, { ...VENT, isolation: "container" });
    const { broker: _b, ...without } = o;
    const host = createExternalHost(without);
    expect(host.kind).toBe("container");
    await expect(host.start()).rejects.toSatisfy((e) => isLosError(e, "LOS_E_INTERNAL"));
  });
});
