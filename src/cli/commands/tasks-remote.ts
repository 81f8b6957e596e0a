/**
 * Task requests to a running gateway over MQTT for `llmagentos tasks create|cancel`: the broker's
 * address and the topic scope come from the config, the admin password from the data dir (or
 * --username/--password-file); one request, one enveloped reply (docs/tasks.md).
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { ADMIN_PASSWORD_FILE, ADMIN_USERNAME } from "../../bus/credentials.js";
import { LosError, type Envelope } from "../../core/errors.js";
import { FINAL_TASK_STATES, type TaskRecord } from "../../core/task-types.js";
import { gatewayBase } from "../../core/topics.js";
import { loadConfig } from "../../config/load.js";
import { DEFAULT_CONFIG, type DataOptions } from "../data-options.js";
import { parseDuration } from "../time-arg.js";

export interface RemoteOptions extends DataOptions {
  url?: string;
  username?: string;
  passwordFile?: string;
  timeout: string;
}

export interface GatewayLink {
  /** publish `body` to `<base>/<subtopic>` and resolve with the reply's data (a coded error rejects) */
  request<T>(subtopic: string, body: Record<string, unknown>): Promise<T>;
  /** resolve when the task's retained state is final */
  waitFinal(id: string): Promise<TaskRecord>;
}

async function readSecret(file: string): Promise<string> {
  try {
    return (await readFile(file, "utf8")).trim();
  } catch (err) {
    throw new LosError("LOS_E_SECRET_MISSING", `cannot read the password file ${file}: has the gateway been started with this data dir?`, { cause: err });
  }
}

export async function withGateway<T>(opts: RemoteOptions, fn: (g: GatewayLink) => Promise<T>): Promise<T> {
  const loaded = loadConfig(opts.config ?? DEFAULT_CONFIG);
  const cfg = loaded.config;
  const dataDir = opts.dataDir ?? loaded.dataDir;
  const base = gatewayBase({ site: cfg.site, gateway: cfg.gateway });
  const listener = cfg.bus.listeners.find((l) => l.kind === "tcp" && l.port !== 0);
  const url = opts.url ?? (listener ? `mqtt://${listener.host === "0.0.0.0" ? "127.0.0.1" : listener.host}:${listener.port}` : undefined);
  if (!url) throw new LosError("LOS_E_USAGE", "--url is needed: the config has no TCP listener with a fixed port");
  const username = opts.username ?? ADMIN_USERNAME;
  if (opts.username !== undefined && opts.passwordFile === undefined) throw new LosError("LOS_E_USAGE", "--username needs --password-file");
  const password = await readSecret(opts.passwordFile ?? join(dataDir, ADMIN_PASSWORD_FILE));
  const tenant = cfg.tenants?.find((t) => t.users?.some((u) => u.username === username))?.id;
  const replyBase = tenant !== undefined ? `${base}/tenants/${tenant}/replies` : `${base}/replies`;
  const timeoutMs = parseDuration(opts.timeout);

  let client: MqttClient;
  try {
    client = await mqtt.connectAsync(url, { username, password, reconnectPeriod: 0, connectTimeout: timeoutMs, clientId: `los-cli-${randomUUID().slice(0, 8)}` });
  } catch (err) {
    throw new LosError("LOS_E_GATEWAY_UNREACHABLE", `cannot reach the gateway at ${url}: ${(err as Error).message}`, { cause: err });
  }
  const waiters = new Map<string, (body: unknown) => void>();
  client.on("message", (topic, payload) => {
    const w = waiters.get(topic);
    if (!w || payload.length === 0) return;
    try {
      w(JSON.parse(payload.toString("utf8")));
    } catch {
      // not JSON: not an answer of ours
    }
  });
  const waitOn = <R>(topic: string, accept: (body: unknown) => R | undefined, what: string): Promise<R> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(topic);
        reject(new LosError("LOS_E_GATEWAY_UNREACHABLE", `no ${what} from the gateway within ${opts.timeout}`));
      }, timeoutMs);
      waiters.set(topic, (body) => {
        const r = accept(body);
        if (r === undefined) return;
        clearTimeout(timer);
        waiters.delete(topic);
        resolve(r);
      });
    });

  const link: GatewayLink = {
    async request<R>(subtopic: string, body: Record<string, unknown>): Promise<R> {
      const correlationId = randomUUID();
      const replyTopic = `${replyBase}/${correlationId}`;
      await client.subscribeAsync(replyTopic, { qos: 1 });
      const answer = waitOn(replyTopic, (b) => b as Envelope<R>, "answer");
      await client.publishAsync(`${base}/${subtopic}`, JSON.stringify({ ...body, correlationId }), { qos: 1 });
      const env = await answer;
      if (!env.ok) throw new LosError(env.error.code, env.error.message, { details: env.error.details ?? {} });
      return env.data;
    },
    async waitFinal(id: string): Promise<TaskRecord> {
      const topic = `${base}/tasks/${id}/state`;
      const final = waitOn(topic, (b) => (FINAL_TASK_STATES.includes((b as TaskRecord).state) ? (b as TaskRecord) : undefined), "final state");
      await client.subscribeAsync(topic, { qos: 1 });
      return final;
    },
  };
  try {
    return await fn(link);
  } finally {
    await client.endAsync(true).catch(() => {});
  }
}
