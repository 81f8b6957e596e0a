/**
 * Child process of the throughput bench: an external MQTT subscriber that counts the points it sees
 * in the per-device state messages (`los/v1/<site>/<gw>/devices/<id>/state`). A point counts when its
 * `t` is newer than in the previous message for that device, i.e. a fresh value, not a repeat of the
 * retained state. Each line `mark` on stdin is answered with one JSON line of running totals, so the
 * parent takes differences over its measurement window. Usage: mqtt-counter.ts <port>
 */
import { createInterface } from "node:readline";
import mqtt from "mqtt";

interface StatePayload {
  ts: number;
  points: Record<string, { v: unknown; q: string; t: number; u?: string }>;
}

const port = Number(process.argv[2]);
const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, clientId: `bench-counter-${process.pid}` });
const last = new Map<string, Map<string, number>>();
let messages = 0;
let points = 0;
let bytes = 0;
let errors = 0;
client.on("message", (topic, payload) => {
  messages++;
  bytes += payload.length;
  let state: StatePayload;
  try {
    state = JSON.parse(payload.toString("utf8")) as StatePayload;
  } catch {
    errors++;
    return;
  }
  let seen = last.get(topic);
  if (!seen) last.set(topic, (seen = new Map()));
  for (const name in state.points) {
    const t = state.points[name]!.t;
    const prev = seen.get(name);
    if (prev === undefined || t > prev) {
      points++;
      seen.set(name, t);
    }
  }
});
await client.subscribeAsync("los/v1/+/+/devices/+/state", { qos: 0 });
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);

createInterface({ input: process.stdin }).on("line", (line) => {
  if (line.trim() === "mark") process.stdout.write(`${JSON.stringify({ messages, points, bytes, errors, devices: last.size })}\n`);
});
process.stdin.on("end", () => void client.endAsync(true).then(() => process.exit(0)));
process.on("SIGTERM", () => void client.endAsync(true).then(() => process.exit(0)));
