import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { startBroker, type BrokerHandle, type BrokerOptions } from "../../src/bus/broker.js";
import { createCredentialStore, hashPassword, type ScryptParams, type UserRecord } from "../../src/bus/credentials.js";
import type { UserRole } from "../../src/bus/authorize.js";
import type { Logger } from "../../src/core/types.js";

/** Cheap scrypt for tests only. */
export const TEST_SCRYPT: ScryptParams = { N: 1024, r: 8, p: 1, keylen: 32 };

export const USERS: Array<{ username: string; password: string; role: UserRole; tenant?: string }> = [
  { username: "admin", password: "admin-pw", role: "admin" },
  { username: "agent-x", password: "agent-pw", role: "agent", tenant: "t1" },
  { username: "viewer", password: "viewer-pw", role: "readonly" },
];

let records: Promise<UserRecord[]> | undefined;
export function testCredentials() {
  records ??= Promise.all(USERS.map((u) => hashPassword(u, u.password, TEST_SCRYPT)));
  return records.then(createCredentialStore);
}

export interface LogEntry {
  level: string;
  obj: Record<string, unknown>;
  msg?: string;
}

export function recordingLogger(entries: LogEntry[] = []): Logger & { entries: LogEntry[] } {
  const mk = (level: string) => (obj: object | string, msg?: string) => {
    entries.push(typeof obj === "string" ? { level, obj: {}, msg: obj } : { level, obj: obj as Record<string, unknown>, msg });
  };
  const logger: Logger & { entries: LogEntry[] } = {
    entries,
    debug: mk("debug"),
    info: mk("info"),
    warn: mk("warn"),
    error: mk("error"),
    child: () => logger,
  };
  return logger;
}

export interface TestBroker {
  broker: BrokerHandle;
  /** TCP port with anonymous loopback clients allowed */
  anonPort: number;
  /** TCP port that requires credentials */
  authPort: number;
  /** WebSocket port (anonymous loopback allowed) */
  wsPort: number;
  logger: ReturnType<typeof recordingLogger>;
}

export async function startTestBroker(extra: Partial<BrokerOptions> = {}): Promise<TestBroker> {
  const logger = recordingLogger();
  const broker = await startBroker({
    listeners: [
      { kind: "tcp", host: "127.0.0.1", port: 0, allowAnonymous: true },
      { kind: "tcp", host: "127.0.0.1", port: 0 },
      { kind: "ws", host: "127.0.0.1", port: 0, allowAnonymous: true },
    ],
    credentials: await testCredentials(),
    logger,
    ...extra,
  });
  const [anon, auth, ws] = broker.listeners();
  return { broker, anonPort: anon!.port, authPort: auth!.port, wsPort: ws!.port, logger };
}

export function connectClient(port: number, opts: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
}

/** Resolve with the first connect result: the CONNACK return code (0 = accepted). */
export function connectResult(port: number, opts: IClientOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    c.once("connect", () => {
      c.end(true);
      resolve(0);
    });
    c.once("error", (err: Error & { code?: number }) => {
      c.end(true);
      if (typeof err.code === "number") resolve(err.code);
      else reject(err);
    });
  });
}

export interface Received {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
}

/** Collect messages; `until(pred)` resolves with everything received up to the first match. */
export function collect(client: MqttClient) {
  const got: Received[] = [];
  let waiters: Array<() => void> = [];
  client.on("message", (topic, payload, packet) => {
    got.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain });
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  });
  return {
    got,
    async until(pred: (m: Received) => boolean): Promise<Received[]> {
      while (!got.some(pred)) await new Promise<void>((r) => waiters.push(r));
      return got.slice(0, got.findIndex(pred) + 1);
    },
  };
}

/** Resolve when `client` is closed by the broker. */
export function closedBy(client: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    if (client.disconnected || !client.connected) return resolve();
    client.once("close", () => resolve());
  });
}

export function once<T = unknown>(emitter: { once(ev: string, f: (...a: never[]) => void): unknown }, ev: string): Promise<T> {
  return new Promise((resolve) => emitter.once(ev, ((v: T) => resolve(v)) as never));
}

/** SUBACK return codes for `filters` (mqtt.js rejects when one is 0x80; the codes are on the packet). */
export async function subackCodes(client: MqttClient, filters: string[]): Promise<number[]> {
  try {
    return (await client.subscribeAsync(filters)).map((g) => g.qos);
  } catch (err) {
    const granted = (err as { packet?: { granted?: number[] } }).packet?.granted;
    if (!granted) throw err;
    return granted;
  }
}
