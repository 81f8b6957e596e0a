import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clearStatus, publishStatus, statusWill } from "../../src/bus/status.js";
import { isLosError } from "../../src/core/errors.js";
import { topics } from "../../src/core/topics.js";
import { collect, connectClient, startTestBroker, type TestBroker } from "./helpers.js";

let t: TestBroker;
beforeAll(async () => {
  t = await startTestBroker();
});
afterAll(async () => {
  await t.broker.close();
});

function nextCall<T extends unknown[]>(): { fn: (...a: T) => void; next: () => Promise<T>; pending: () => number } {
  const queue: T[] = [];
  let waiter: (() => void) | undefined;
  return {
    pending: () => queue.length,
    fn: (...a: T) => {
      queue.push(a);
      waiter?.();
    },
    async next() {
      while (queue.length === 0) await new Promise<void>((r) => (waiter = r));
      return queue.shift() as T;
    },
  };
}

describe("BusClient", () => {
  it("in-process publish reaches an external subscriber (objects JSON-encoded)", async () => {
    const ext = await connectClient(t.anonPort);
    const m = collect(ext);
    await ext.subscribeAsync("los/v1/bc/#", { qos: 1 });
    await t.broker.client.publish("los/v1/bc/obj", { v: 1.5, u: "°C" }, { qos: 1 });
    await t.broker.client.publish("los/v1/bc/str", "plain");
    await t.broker.client.publish("los/v1/bc/buf", Buffer.from([1, 2, 3]));
    const got = await m.until((x) => x.topic === "los/v1/bc/buf");
    expect(got.map((x) => [x.topic, x.payload])).toEqual([
      ["los/v1/bc/obj", '{"v":1.5,"u":"°C"}'],
      ["los/v1/bc/str", "plain"],
      ["los/v1/bc/buf", "\u0001\u0002\u0003"],
    ]);
    await ext.endAsync();
  });

  it("an external publish reaches an in-process handler; unsubscribe stops delivery", async () => {
    const h = nextCall<[string, Buffer]>();
    const unsubscribe = t.broker.client.subscribe("los/v1/+/+/devices/+/write", h.fn);
    const ext = await connectClient(t.anonPort);
    await ext.publishAsync("los/v1/s/g/devices/pump/write", '{"point":"on","value":true}', { qos: 1 });
    const [topic, payload] = await h.next();
    expect(topic).toBe("los/v1/s/g/devices/pump/write");
    expect(JSON.parse(payload.toString())).toEqual({ point: "on", value: true });

    unsubscribe();
    const after = nextCall<[string, Buffer]>();
    t.broker.client.subscribe("los/v1/s/g/devices/#", after.fn);
    await ext.publishAsync("los/v1/s/g/devices/pump/write", "second", { qos: 1 });
    expect((await after.next())[1].toString()).toBe("second");
    await t.broker.client.publish("los/v1/s/g/devices/pump/marker", "m");
    expect((await after.next())[1].toString()).toBe("m");
    expect(h.pending()).toBe(0); // the unsubscribed handler saw neither
    await ext.endAsync();
  });

  it("delivers matching retained messages on request; # does not match $ topics", async () => {
    await t.broker.client.publish("los/v1/ret/a", "kept", { retain: true });
    const h = nextCall<[string, Buffer, { retain: boolean }]>();
    t.broker.client.subscribe("los/v1/ret/#", h.fn, { retained: true });
    const [topic, payload, info] = await h.next();
    expect([topic, payload.toString(), info.retain]).toEqual(["los/v1/ret/a", "kept", true]);

    const all = nextCall<[string, Buffer]>();
    t.broker.client.subscribe("#", all.fn);
    await connectClient(t.anonPort, { clientId: "makes-sys-traffic" }).then((c) => c.endAsync());
    await t.broker.client.publish("los/v1/ret/marker", "m");
    let first: [string, Buffer];
    do first = await all.next();
    while (first[1].toString() !== "m" && !first[0].startsWith("$"));
    expect(first[0]).toBe("los/v1/ret/marker");
  });

  it("a retained payload does not share memory with other Buffers (a pool slice would pin the pool's slab)", async () => {
    const small = Buffer.from("small retained"); // a slice of Node's Buffer pool
    expect(small.buffer.byteLength).toBeGreaterThan(small.byteLength);
    await t.broker.client.publish("los/v1/ret/own", small, { retain: true });
    await t.broker.client.publish("los/v1/ret/own-json", { v: 1 }, { retain: true });
    const h = nextCall<[string, Buffer, { retain: boolean }]>();
    t.broker.client.subscribe("los/v1/ret/+", h.fn, { retained: true });
    const got = new Map<string, Buffer>();
    while (got.size < 2) {
      const [topic, payload] = await h.next();
      if (topic.startsWith("los/v1/ret/own")) got.set(topic, payload);
    }
    expect(got.get("los/v1/ret/own")!.toString()).toBe("small retained");
    expect(got.get("los/v1/ret/own-json")!.toString()).toBe('{"v":1}');
    for (const payload of got.values()) expect(payload.buffer.byteLength).toBe(payload.byteLength);
  });

  it("a throwing handler is logged and does not stop other handlers", async () => {
    t.broker.client.subscribe("los/v1/throw", () => {
      throw new Error("boom");
    });
    const h = nextCall<[string, Buffer]>();
    t.broker.client.subscribe("los/v1/throw", h.fn);
    await t.broker.client.publish("los/v1/throw", "x");
    await h.next();
    expect(t.logger.entries.some((e) => e.msg === "bus handler threw")).toBe(true);
  });

  it("refuses invalid topics with LOS_E_BUS_TOPIC_INVALID", async () => {
    const err = await t.broker.client.publish("los/+/x", "x").catch((e: unknown) => e);
    expect(isLosError(err, "LOS_E_BUS_TOPIC_INVALID")).toBe(true);
    expect(() => t.broker.client.subscribe("a/#/b", () => {})).toThrow(/whole, last level/);
  });
});

describe("status topics with last will", () => {
  const scope = { site: "site", gateway: "gw" };

  it("an external agent's retained offline will is delivered when it dies", async () => {
    const topic = topics.agentStatus(scope, "x");
    const watcher = await connectClient(t.anonPort);
    const m = collect(watcher);
    await watcher.subscribeAsync(topic, { qos: 1 });

    const agent = await connectClient(t.authPort, {
      clientId: "agent-x-proc",
      username: "agent-x",
      password: "agent-pw",
      will: statusWill(topic, { state: "failed", ts: 0, error: "connection lost" }),
    });
    await agent.publishAsync(topic, JSON.stringify({ state: "running", ts: 1 }), { qos: 1, retain: true });
    await m.until((x) => x.payload.includes("running"));
    agent.stream.destroy(); // dies without DISCONNECT
    const got = await m.until((x) => x.payload.includes("failed"));
    expect(JSON.parse(got.at(-1)!.payload)).toMatchObject({ state: "failed" });

    // retained: a late subscriber sees the agent as failed
    const late = await connectClient(t.anonPort);
    const ml = collect(late);
    await late.subscribeAsync(topic);
    const first = await ml.until(() => true);
    expect(first[0]).toMatchObject({ retain: true });
    expect(JSON.parse(first[0]!.payload)).toMatchObject({ state: "failed" });
    await Promise.all([watcher.endAsync(), late.endAsync(), agent.endAsync(true)]);
  });

  it("publishStatus retains, clearStatus removes", async () => {
    const topic = topics.gatewayStatus(scope);
    await publishStatus(t.broker.client, topic, { state: "online", ts: 1, version: "0.1.0", ...scope });
    const h = nextCall<[string, Buffer]>();
    const unsub = t.broker.client.subscribe(topic, h.fn, { retained: true });
    expect(JSON.parse((await h.next())[1].toString())).toMatchObject({ state: "online" });
    unsub();
    await clearStatus(t.broker.client, topic);
    const c = await connectClient(t.anonPort);
    const m = collect(c);
    await c.subscribeAsync([topic, "los/v1/site/gw/zz"]);
    await t.broker.client.publish("los/v1/site/gw/zz", "marker");
    const got = await m.until((x) => x.payload === "marker");
    expect(got.map((x) => x.topic)).toEqual(["los/v1/site/gw/zz"]);
    await c.endAsync();
  });
});
