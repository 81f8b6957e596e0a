// Child process of packet-numbers.test.ts (a fresh process, so no earlier packet built mqtt-packet's
// number cache): starts the broker, sends a QoS 1 message with a 300-character topic (two-byte
// length, packet ids) from the broker's bus client to an MQTT client, and prints the message it got
// back, the cache's size and whether ws was loaded (the broker has a TCP listener only).
import { createRequire } from "node:module";
import { startBroker } from "../../src/bus/broker.js";
import { createCredentialStore } from "../../src/bus/credentials.js";
import { packetCodec } from "../../src/bus/packet-numbers.js";

const broker = await startBroker({ listeners: [{ kind: "tcp", host: "127.0.0.1", port: 0, allowAnonymous: true }], credentials: createCredentialStore([]) });
// ws is CommonJS: loaded means in require's cache (checked before mqtt.js, which loads it itself)
const wsLoaded = Object.keys(createRequire(import.meta.url).cache).some((path) => path.includes("/node_modules/ws/"));
const port = broker.listeners()[0]!.port;
const { default: mqtt } = await import("mqtt");
const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
const topic = `los/v1/s/g/${"x".repeat(289)}`;
const got = new Promise<{ topic: string; payload: string }>((resolve) => client.once("message", (t, p) => resolve({ topic: t, payload: p.toString() })));
await client.subscribeAsync(topic, { qos: 1 });
await broker.client.publish(topic, "hello", { qos: 1 });
const message = await got;
await client.endAsync();
await broker.close();
// numbers.js is the module whose cache writeToStream fills; resolved next to mqtt-packet itself
const codecPath = createRequire(createRequire(import.meta.url).resolve("aedes")).resolve("mqtt-packet");
const numbers = createRequire(codecPath)("./numbers.js") as { cache: Record<number, Buffer> };
process.stdout.write(JSON.stringify({ wsLoaded, topicOk: message.topic === topic, payload: message.payload, cached: Object.keys(numbers.cache).length, cacheNumbers: packetCodec().writeToStream.cacheNumbers }));
