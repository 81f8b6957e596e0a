import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FrameScanner } from "../../src/bus/frame-guard.js";
import { checkTopicFilter, checkTopicName, filterWithin, topicMatches } from "../../src/bus/topic-rules.js";
import { connectClient, startTestBroker, type TestBroker } from "./helpers.js";
import { connectPacket, frame, PACKET, publishPacket, RawClient, subscribePacket } from "./raw-mqtt.js";

const limits = { maxTopicDepth: 4, maxTopicLength: 20 };

describe("topic rules", () => {
  it("checks names and filters", () => {
    expect(checkTopicName("a/b", limits)).toBeUndefined();
    expect(checkTopicName("a/+", limits)?.kind).toBe("malformed");
    expect(checkTopicName("a\u0000", limits)?.kind).toBe("malformed");
    expect(checkTopicName("a/b/c/d/e", limits)?.kind).toBe("limit");
    expect(checkTopicName("x".repeat(21), limits)?.kind).toBe("limit");
    for (const ok of ["#", "+", "a/+/b", "a/#", "+/+", "/"]) expect(checkTopicFilter(ok, limits)).toBeUndefined();
    for (const bad of ["a/#/b", "a+", "+a", "a#", "#/a", ""]) expect(checkTopicFilter(bad, limits)?.kind).toBe("malformed");
  });

  it("matches like MQTT, including the $ rule", () => {
    expect(topicMatches("a/+/c", "a/b/c")).toBe(true);
    expect(topicMatches("a/#", "a")).toBe(true);
    expect(topicMatches("#", "$SYS/x")).toBe(false);
    expect(topicMatches("$SYS/#", "$SYS/x")).toBe(true);
    expect(filterWithin("los/v1/a/#", "los/v1/#")).toBe(true);
    expect(filterWithin("los/+/a", "los/v1/#")).toBe(false);
    expect(filterWithin("#", "los/v1/#")).toBe(false);
  });
});

describe("frame scanner", () => {
  it("finds an oversize PUBLISH from its header and topic length, across chunk boundaries", () => {
    const s = new FrameScanner({ maxPayloadBytes: 10, maxControlPacketBytes: 100 });
    const ok = publishPacket({ topic: "t", payload: "0123456789", qos: 1 });
    const big = publishPacket({ topic: "t", payload: "01234567890", qos: 1 });
    const all = Buffer.concat([ok, big]);
    for (let i = 0; i < ok.length + 3; i++) expect(s.feed(all.subarray(i, i + 1))).toBeUndefined();
    expect(s.feed(all.subarray(ok.length + 3, ok.length + 4))).toMatchObject({ kind: "payload", payloadBytes: 11 });
  });

  it("reports where the bad packet starts within a chunk", () => {
    const s = new FrameScanner({ maxPayloadBytes: 10, maxControlPacketBytes: 100 });
    const ok = publishPacket({ topic: "t", payload: "x" });
    const v = s.feed(Buffer.concat([ok, frame(0x82, Buffer.alloc(200))]));
    expect(v).toMatchObject({ kind: "packet", at: ok.length });
  });
});

describe("broker limits", () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker({ limits: { maxPayloadBytes: 1024, maxTopicDepth: 8, maxTopicLength: 64 } });
  });
  afterAll(async () => {
    await t.broker.close();
  });

  async function admin(id: string) {
    const r = await RawClient.open(t.authPort);
    r.send(connectPacket({ clientId: id, clean: true, username: "admin", password: "admin-pw" }));
    expect((await r.connack())?.returnCode).toBe(0);
    return r;
  }

  it("a PUBLISH payload over the limit disconnects the client before the payload is sent", async () => {
    const r = await admin("big");
    const full = publishPacket({ topic: "los/v1/big", payload: Buffer.alloc(1025) });
    r.send(full.subarray(0, 20)); // header, length, topic and a little payload: the guard needs no more
    await r.closed;
    expect(t.broker.stats().payloadTooLarge).toBeGreaterThanOrEqual(1);
    expect(t.logger.entries.some((e) => e.obj.code === "LOS_E_BUS_PAYLOAD_TOO_LARGE")).toBe(true);
  });

  it("a payload at the limit goes through (mqtt client)", async () => {
    const sub = await connectClient(t.anonPort);
    const got = new Promise<number>((resolve) => sub.on("message", (_t, p) => resolve(p.length)));
    await sub.subscribeAsync("los/v1/ok");
    const pub = await connectClient(t.authPort, { username: "admin", password: "admin-pw" });
    await pub.publishAsync("los/v1/ok", Buffer.alloc(1024), { qos: 1 });
    expect(await got).toBe(1024);
    await Promise.all([sub.endAsync(), pub.endAsync()]);
  });

  it("an oversize PUBLISH over WebSocket is refused too", async () => {
    const mqtt = (await import("mqtt")).default;
    const c = await mqtt.connectAsync(`ws://127.0.0.1:${t.wsPort}/mqtt`, { reconnectPeriod: 0 });
    const closed = new Promise<void>((resolve) => c.once("close", () => resolve()));
    c.publish("los/v1/s/g/devices/d/write", Buffer.alloc(2048));
    await closed;
    await c.endAsync(true);
  });

  it("PUBLISH to a too deep or too long topic, or with NUL, disconnects", async () => {
    for (const topic of ["a/b/c/d/e/f/g/h/i", `los/${"x".repeat(70)}`, "los/\u0000"]) {
      const r = await admin(`topic-${topic.length}`);
      r.send(publishPacket({ topic, payload: "x" }));
      await r.closed;
    }
    expect(t.logger.entries.some((e) => e.obj.code === "LOS_E_BUS_TOPIC_INVALID")).toBe(true);
  });

  it("SUBSCRIBE to a too deep or too long filter gets SUBACK 0x80 and the connection stays", async () => {
    const r = await admin("subs");
    r.send(subscribePacket(9, [{ filter: "a/b/c/d/e/f/g/h/i", qos: 1 }, { filter: "x".repeat(65), qos: 0 }, { filter: "ok/#", qos: 1 }]));
    const ack = await r.next(PACKET.SUBACK);
    expect([...(ack?.body.subarray(2) ?? [])]).toEqual([0x80, 0x80, 1]);
    expect(r.isClosed).toBe(false);
    r.destroy();
  });
});
