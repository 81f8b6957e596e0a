/**
 * MQTT 3.1.1 rules local clients (Home Assistant, Node-RED, SCADA) depend on, checked against the
 * embedded broker with real clients over TCP. Each test names the normative statement; docs/bus.md
 * says which ones aedes 1.2.0 passes natively and which need our correction.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import mqtt, { type MqttClient } from "mqtt";
import { closedBy, collect, connectClient, once, startTestBroker, type TestBroker } from "./helpers.js";
import { connectPacket, DISCONNECT, PACKET, publishPacket, pubrelPacket, RawClient, subscribePacket } from "./raw-mqtt.js";

let t: TestBroker;
const open: MqttClient[] = [];
const raws: RawClient[] = [];
const admin = { username: "admin", password: "admin-pw" };

async function client(opts: Parameters<typeof connectClient>[1] = {}, port?: number) {
  const c = await connectClient(port ?? t.anonPort, opts);
  open.push(c);
  return c;
}
async function raw(port = t.anonPort) {
  const r = await RawClient.open(port);
  raws.push(r);
  return r;
}
async function rawConnected(fields: Parameters<typeof connectPacket>[0], port?: number) {
  const r = await raw(port);
  r.send(connectPacket(fields));
  expect(await r.connack()).toEqual({ sessionPresent: false, returnCode: 0 });
  return r;
}

beforeAll(async () => {
  t = await startTestBroker();
});
afterAll(async () => {
  for (const r of raws) r.destroy();
  await Promise.all(open.map((c) => c.endAsync(true)));
  await t.broker.close();
});

describe("CONNECT", () => {
  it("MQTT-3.1.3-8: empty client id with clean session 0 gets CONNACK 0x02 and is closed (fixed in our layer)", async () => {
    const r = await raw();
    r.send(connectPacket({ clientId: "", clean: false }));
    expect(await r.connack()).toEqual({ sessionPresent: false, returnCode: 2 });
    await r.closed;
    expect(t.broker.stats().identifierRejected).toBeGreaterThanOrEqual(1);
  });

  it("MQTT-3.1.3-6: empty client id with clean session 1 is accepted", async () => {
    await rawConnected({ clientId: "", clean: true });
  });

  it("MQTT-3.1.2-2: protocol level 5 (MQTT 5) gets CONNACK 0x01 unacceptable protocol version", async () => {
    const r = await raw();
    r.send(connectPacket({ clientId: "v5", clean: true, protocolLevel: 5 }));
    const ack = await r.connack();
    expect(ack?.returnCode).toBe(1);
    await r.closed;
  });

  it("MQTT-3.1.0-2: a second CONNECT on a connection closes it", async () => {
    const r = await rawConnected({ clientId: "twice", clean: true });
    r.send(connectPacket({ clientId: "twice", clean: true }));
    await r.closed;
  });

  it("MQTT-3.1.4-2: a second connection with the same client id disconnects the first", async () => {
    const first = await client({ clientId: "takeover" });
    const firstClosed = closedBy(first);
    await client({ clientId: "takeover" });
    await firstClosed;
  });

  it("MQTT-3.1.2-24: a client silent for 1.5 x keepalive (1 s) is disconnected", async () => {
    const r = await rawConnected({ clientId: "sleepy", clean: true, keepalive: 1 });
    await r.closed; // bounded by the test timeout; the broker must close it on its own
    expect(r.isClosed).toBe(true);
  });
});

describe("sessions", () => {
  it("MQTT-3.1.2-4/5, 3.2.2-2: clean session 0 keeps subscriptions and queues QoS 1 while offline", async () => {
    const opts = { clientId: "persistent-1", clean: false, resubscribe: false };
    const first = await client(opts);
    await first.subscribeAsync("los/v1/s/g/sess/#", { qos: 1 });
    await first.endAsync();

    const pub = await client({ ...admin }, t.authPort);
    await pub.publishAsync("los/v1/s/g/sess/a", "while-offline", { qos: 1 });

    // attach the message collector before CONNECT so queued messages cannot be missed
    const again = mqtt.connect(`mqtt://127.0.0.1:${t.anonPort}`, { ...opts, reconnectPeriod: 0 });
    open.push(again);
    const msgs = collect(again);
    const connack = once<{ sessionPresent: boolean }>(again, "connect");
    expect((await connack).sessionPresent).toBe(true);
    const queued = await msgs.until((m) => m.payload === "while-offline");
    expect(queued.at(-1)).toMatchObject({ topic: "los/v1/s/g/sess/a", qos: 1 });
    // the restored subscription still works without a new SUBSCRIBE
    await pub.publishAsync("los/v1/s/g/sess/b", "after-reconnect", { qos: 1 });
    await msgs.until((m) => m.payload === "after-reconnect");
  });

  it("MQTT-3.2.2-1: clean session 1 after a persistent session gets session present 0", async () => {
    const c = await client({ clientId: "persistent-2", clean: false });
    await c.subscribeAsync("los/v1/x", { qos: 1 });
    await c.endAsync();
    const r = await raw();
    r.send(connectPacket({ clientId: "persistent-2", clean: true }));
    expect(await r.connack()).toEqual({ sessionPresent: false, returnCode: 0 });
  });
});

describe("retained messages", () => {
  it("MQTT-3.3.1-5/6/7/9/10/11: store, deliver on subscribe, replace, live copies not retained, delete with empty payload", async () => {
    const pub = await client({ ...admin }, t.authPort);
    await pub.publishAsync("los/v1/r/g/status", "one", { qos: 1, retain: true });
    await pub.publishAsync("los/v1/r/g/status", "two", { qos: 1, retain: true }); // 3.3.1-7 replaces

    const s1 = await client();
    const m1 = collect(s1);
    await s1.subscribeAsync("los/v1/r/#", { qos: 1 });
    const first = await m1.until((m) => m.payload === "two"); // 3.3.1-6
    expect(first.filter((m) => m.topic === "los/v1/r/g/status").map((m) => m.payload)).toEqual(["two"]);
    expect(first.at(-1)?.retain).toBe(true);

    await pub.publishAsync("los/v1/r/g/status", "live", { qos: 1, retain: true });
    const live = await m1.until((m) => m.payload === "live");
    expect(live.at(-1)?.retain).toBe(false); // 3.3.1-9: established subscription gets retain 0

    await pub.publishAsync("los/v1/r/g/status", "", { qos: 1, retain: true }); // 3.3.1-10 deletes
    await pub.publishAsync("los/v1/r/g/zz-marker", "marker", { qos: 1, retain: true });
    const s2 = await client();
    const m2 = collect(s2);
    await s2.subscribeAsync("los/v1/r/#", { qos: 1 });
    const afterDelete = await m2.until((m) => m.payload === "marker");
    expect(afterDelete.filter((m) => m.topic === "los/v1/r/g/status")).toEqual([]);
  });
});

describe("topic names and filters", () => {
  it("MQTT-4.7.2-1: # and +/... do not match $ topics; $SYS/# does", async () => {
    const sharp = await client({ ...admin }, t.authPort);
    const plus = await client({ ...admin }, t.authPort);
    const sys = await client({ ...admin }, t.authPort);
    const ms = collect(sharp);
    const mp = collect(plus);
    const my = collect(sys);
    await sharp.subscribeAsync("#");
    await plus.subscribeAsync("+/+/new/clients");
    await sys.subscribeAsync("$SYS/#");
    await client({ clientId: "trigger-sys" }); // the broker publishes $SYS/<id>/new/clients
    await my.until((m) => m.topic.startsWith("$SYS/") && m.payload === "trigger-sys");
    await sharp.publishAsync("los/v1/sys/marker", "m");
    await ms.until((m) => m.payload === "m");
    expect(ms.got.filter((m) => m.topic.startsWith("$"))).toEqual([]);
    await sharp.publishAsync("x/y/new/clients", "m2");
    await mp.until((m) => m.payload === "m2");
    expect(mp.got.filter((m) => m.topic.startsWith("$"))).toEqual([]);
  });

  it.each([
    ["a/#/b", "native"],
    ["sport/tennis#", "native"],
    ["a+", "our fix"],
    ["+a", "our fix"],
    ["a#", "our fix"],
    ["a/b\u0000c", "our fix"],
  ])("MQTT-4.7.1-2/3, 3.8.3-1: SUBSCRIBE to malformed filter %j closes the connection (%s)", async (filter) => {
    const c = await rawConnected({ clientId: `bad-filter-${filter.length}`, clean: true, username: "admin", password: "admin-pw" }, t.authPort);
    c.send(subscribePacket(1, [{ filter, qos: 0 }]));
    expect(await c.next(PACKET.SUBACK)).toBeUndefined();
    await c.closed;
  });

  it.each(["a/+", "a/#", "los/v1/#"])("MQTT-3.3.2-2: PUBLISH to a topic with a wildcard (%s) closes the connection", async (topic) => {
    const c = await rawConnected({ clientId: `wild-${topic}`, clean: true, username: "admin", password: "admin-pw" }, t.authPort);
    c.send(publishPacket({ topic, payload: "x" }));
    await c.closed;
  });
});

describe("will messages", () => {
  it("MQTT-3.1.2-8/17: the will is published on keepalive timeout, retained when will retain is set", async () => {
    const watcher = await client();
    const mw = collect(watcher);
    await watcher.subscribeAsync("los/v1/w/g/agents/+/status", { qos: 1 });
    const r = await rawConnected(
      {
        clientId: "dying",
        clean: true,
        keepalive: 1,
        username: "agent-x",
        password: "agent-pw",
        will: { topic: "los/v1/w/g/agents/dying/status", payload: '{"state":"offline"}', qos: 1, retain: true },
      },
      t.authPort,
    );
    await r.closed;
    await mw.until((m) => m.topic === "los/v1/w/g/agents/dying/status");
    const late = await client();
    const ml = collect(late);
    await late.subscribeAsync("los/v1/w/g/agents/dying/status");
    const got = await ml.until(() => true);
    expect(got[0]).toMatchObject({ payload: '{"state":"offline"}', retain: true });
  });

  it("MQTT-3.1.2-8: the will is published when the network connection drops", async () => {
    const watcher = await client();
    const mw = collect(watcher);
    await watcher.subscribeAsync("los/v1/w/g/agents/+/status");
    const r = await rawConnected(
      { clientId: "dropper", clean: true, username: "agent-x", password: "agent-pw", will: { topic: "los/v1/w/g/agents/dropper/status", payload: "gone" } },
      t.authPort,
    );
    r.destroy();
    await mw.until((m) => m.payload === "gone");
  });

  it("MQTT-3.1.2-10: the will is not published after DISCONNECT", async () => {
    const watcher = await client();
    const mw = collect(watcher);
    await watcher.subscribeAsync("los/v1/w/g/agents/polite/status");
    const r = await rawConnected(
      { clientId: "polite", clean: true, username: "agent-x", password: "agent-pw", will: { topic: "los/v1/w/g/agents/polite/status", payload: "will" } },
      t.authPort,
    );
    const gone = new Promise<void>((resolve) =>
      t.broker.aedes.on("clientDisconnect", (c) => {
        if (c.id === "polite") resolve();
      }),
    );
    r.send(DISCONNECT);
    await gone;
    await t.broker.client.publish("los/v1/w/g/agents/polite/status", "marker");
    const got = await mw.until((m) => m.payload === "marker");
    expect(got.map((m) => m.payload)).toEqual(["marker"]);
  });
});

describe("QoS", () => {
  it("MQTT-4.3.3-2: QoS 2 is delivered exactly once, even when the PUBLISH is retransmitted before PUBREL", async () => {
    const sub = await client();
    const ms = collect(sub);
    await sub.subscribeAsync("los/v1/q/g/devices/d/write", { qos: 2 });
    const r = await rawConnected({ clientId: "qos2-pub", clean: true, username: "admin", password: "admin-pw" }, t.authPort);
    const pub = { topic: "los/v1/q/g/devices/d/write", payload: "once", qos: 2, messageId: 7 };
    r.send(publishPacket(pub));
    expect((await r.next(PACKET.PUBREC))?.body.readUInt16BE(0)).toBe(7);
    r.send(publishPacket({ ...pub, dup: true }));
    expect((await r.next(PACKET.PUBREC))?.body.readUInt16BE(0)).toBe(7);
    r.send(pubrelPacket(7));
    expect((await r.next(PACKET.PUBCOMP))?.body.readUInt16BE(0)).toBe(7);
    await t.broker.client.publish("los/v1/q/g/devices/d/write", "marker");
    const got = await ms.until((m) => m.payload === "marker");
    expect(got.filter((m) => m.payload === "once")).toEqual([expect.objectContaining({ qos: 2 })]);
  });

  it("MQTT-3.8.4-6: QoS is the minimum of published and granted, also through wildcards (fixed in our layer)", async () => {
    const sub = await client();
    const ms = collect(sub);
    await sub.subscribeAsync("los/v1/q/+/devices/+/write", { qos: 1 });
    const pub = await client({ ...admin }, t.authPort);
    await pub.publishAsync("los/v1/q/g/devices/e/write", "q2", { qos: 2 });
    const got = await ms.until((m) => m.payload === "q2");
    expect(got.at(-1)?.qos).toBe(1);
  });

  it("overlapping subscriptions: aedes sends one copy per client (documented)", async () => {
    const sub = await client();
    const ms = collect(sub);
    await sub.subscribeAsync({ "los/v1/o/#": { qos: 1 }, "los/v1/o/+/x": { qos: 1 } });
    const pub = await client({ ...admin }, t.authPort);
    await pub.publishAsync("los/v1/o/g/x", "dup?", { qos: 1 });
    await pub.publishAsync("los/v1/o/marker", "marker", { qos: 1 });
    const got = await ms.until((m) => m.payload === "marker");
    expect(got.filter((m) => m.payload === "dup?")).toHaveLength(1);
  });
});
