/**
 * Bus hot path: the in-process BusClient publishes `messages` QoS 0 messages of `payloadBytes`
 * and an external mqtt client subscribed over TCP (loopback) receives them all. Measures from the
 * first publish to the last message received, i.e. routing + encoding + socket + client parsing.
 * Publishes are issued in windows of 1000 so the bench measures throughput, not an unbounded queue.
 */
import mqtt from "mqtt";
import { startBroker } from "../src/bus/broker.js";
import { createCredentialStore } from "../src/bus/credentials.js";

export async function benchBusPublish(opts: { messages: number; payloadBytes: number }): Promise<{ msgsPerSec: number; usPerMsg: number }> {
  const broker = await startBroker({
    listeners: [{ kind: "tcp", host: "127.0.0.1", port: 0, allowAnonymous: true }],
    credentials: createCredentialStore([]),
    limits: { maxPayloadBytes: Math.max(opts.payloadBytes, 1024) },
  });
  const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.listeners()[0]!.port}`, { reconnectPeriod: 0 });
  try {
    const topic = "los/v1/bench/gw/devices/d1/state";
    await sub.subscribeAsync(topic, { qos: 0 });
    const payload = Buffer.alloc(opts.payloadBytes, 0x61);
    // warm up and make sure the path works end to end
    const warm = new Promise<void>((resolve) => sub.once("message", () => resolve()));
    await broker.client.publish(topic, payload);
    await warm;

    let received = 0;
    const done = new Promise<void>((resolve) =>
      sub.on("message", () => {
        if (++received === opts.messages) resolve();
      }),
    );
    const start = process.hrtime.bigint();
    const WINDOW = 1000;
    for (let sent = 0; sent < opts.messages; ) {
      const n = Math.min(WINDOW, opts.messages - sent);
      const batch: Promise<void>[] = [];
      for (let i = 0; i < n; i++) batch.push(broker.client.publish(topic, payload));
      await Promise.all(batch);
      sent += n;
    }
    await done;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { msgsPerSec: Math.round(opts.messages / seconds), usPerMsg: Number(((seconds * 1e6) / opts.messages).toFixed(2)) };
  } finally {
    await sub.endAsync(true);
    await broker.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const messages = Number(process.argv[2] ?? 50_000);
  const payloadBytes = Number(process.argv[3] ?? 200);
  console.log(JSON.stringify({ bench: "bus-publish", messages, payloadBytes, ...(await benchBusPublish({ messages, payloadBytes })) }));
}
