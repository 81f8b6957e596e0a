/**
 * A real broker with the per-tenant ACL and an agent user, an external host bound to it, and a real
 * MQTT client that speaks the agent protocol: what the external host and runner tests share.
 */
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { startBroker, type BrokerHandle } from "../../../src/bus/broker.js";
import { createCredentialStore, hashPassword } from "../../../src/bus/credentials.js";
import { TenantAuthorizer } from "../../../src/bus/tenant-authorizer.js";
import { systemClock } from "../../../src/core/clock.js";
import { LosError } from "../../../src/core/errors.js";
import { agentBase, type GatewayScope } from "../../../src/core/topics.js";
import type { CoordinationReply, CoordinationRequest } from "../../../src/core/task-types.js";
import type { Value } from "../../../src/core/types.js";
import { resolveManifest } from "../../../src/config/agent-manifest.js";
import type { AgentConfig } from "../../../src/config/agent-schema.js";
import type { ActuationResult } from "../../../src/devices/actuation.js";
import type { AgentExit, AgentUsage, HostOptions, LogLevel } from "../../../src/agents/hosts/agent-host.js";
import { ExternalHost } from "../../../src/agents/hosts/external-host.js";
import { MqttShellPort } from "../../../src/agents/external/mqtt-shell-port.js";
import { startAgentShell } from "../../../src/agents/isolation/agent-shell.js";
import { recordingLogger } from "../../bus/helpers.js";

export const SCOPE: GatewayScope = { site: "s1", gateway: "gw1" };
export const BASE = agentBase(SCOPE, "vent");
export const TEST_SCRYPT = { N: 1024, r: 8, p: 1, keylen: 32 };
export const PASSWORDS = { vent: "vent-pw", other: "other-pw", admin: "admin-pw" } as const;

export const VENT: AgentConfig = {
  id: "vent",
  tenant: "growers",
  isolation: "external",
  heartbeatMs: 100,
  capabilities: { read: ["gh1/*"], write: ["gh1/vent"], publish: ["decisions"] },
};

export async function startAgentBroker(): Promise<{ broker: BrokerHandle; port: number; logger: ReturnType<typeof recordingLogger> }> {
  const logger = recordingLogger();
  const records = await Promise.all([
    hashPassword({ username: "vent", role: "agent", tenant: "growers" }, PASSWORDS.vent, TEST_SCRYPT),
    hashPassword({ username: "other", role: "agent", tenant: "growers" }, PASSWORDS.other, TEST_SCRYPT),
    hashPassword({ username: "admin", role: "admin" }, PASSWORDS.admin, TEST_SCRYPT),
  ]);
  const authorizer = new TenantAuthorizer({
    scope: SCOPE,
    tenants: [{ id: "growers" }],
    devices: [{ id: "gh1", tenant: "growers" }],
    agents: [{ id: "vent", tenant: "growers", publish: ["decisions"] }, { id: "other", tenant: "growers" }],
  });
  const broker = await startBroker({
    listeners: [{ kind: "tcp", host: "127.0.0.1", port: 0 }],
    credentials: createCredentialStore(records),
    authorizer,
    logger,
  });
  return { broker, port: broker.listeners()[0]!.port, logger };
}

export interface Recorded {
  actuations: { point: string; value: Value; reason: string; idempotencyKey?: string }[];
  coordinations: CoordinationRequest[];
  logs: { level: LogLevel; obj: object; msg?: string }[];
  heartbeats: Partial<AgentUsage>[];
  exits: AgentExit[];
}

/**
 * Host options whose calls accept gh1/vent (a repeated idempotency key is replayed, not written),
 * refuse gh1/heater like the envelope would, and throw for the rest; coordinate grants leases on
 * gh1/vent, refuses others as held by "other", stores facts in a map.
 */
export function hostOptions(broker: BrokerHandle, config: AgentConfig = VENT): HostOptions & { rec: Recorded } {
  const rec: Recorded = { actuations: [], coordinations: [], logs: [], heartbeats: [], exits: [] };
  let auditId = 0;
  const byKey = new Map<string, number>();
  const facts = new Map<string, unknown>();
  return {
    rec,
    manifest: resolveManifest(config),
    configDir: process.cwd(),
    dataDir: process.cwd(),
    clock: systemClock,
    logger: recordingLogger(),
    broker,
    scope: SCOPE,
    calls: {
      async actuate(point, value, reason, idempotencyKey): Promise<ActuationResult> {
        rec.actuations.push({ point, value, reason, ...(idempotencyKey !== undefined ? { idempotencyKey } : {}) });
        const earlier = idempotencyKey === undefined ? undefined : byKey.get(idempotencyKey);
        if (earlier !== undefined) {
          const replayed = { ok: true as const, auditId: earlier, point, value, replayed: true as const };
          return replayed;
        }
        if (point === "gh1/vent") {
          if (idempotencyKey !== undefined) byKey.set(idempotencyKey, auditId + 1);
          return { ok: true, auditId: ++auditId, point, value };
        }
        if (point === "gh1/heater") return { ok: false, auditId: ++auditId, point, code: "LOS_E_WRITE_OUT_OF_RANGE", message: "out of range" };
        throw new LosError("LOS_E_WRITE_NOT_PERMITTED", `agent may not write ${point}`);
      },
      async publish() {},
      log: (level, obj, msg) => void rec.logs.push({ level, obj, ...(msg !== undefined ? { msg } : {}) }),
      async coordinate(request): Promise<CoordinationReply> {
        rec.coordinations.push(request);
        switch (request.op) {
          case "lease.acquire":
            if (request.point !== "gh1/vent") return { ok: false, code: "LOS_E_LEASE_CONFLICT", message: `${request.point} is held by other`, holder: "other", until: 5000 };
            return { ok: true, lease: { resource: `point:${request.point}`, holder: config.id, kind: "lease", token: 1, from: 1000, until: 1000 + request.ttlMs, ttlMs: request.ttlMs } };
          case "fact.put":
            facts.set(`${request.scope}/${request.key}`, request.value);
            return { ok: true, fact: { scope: request.scope, owner: config.id, key: request.key, value: request.value, ts: 1000, by: config.id } };
          case "fact.get": {
            const value = facts.get(`${request.scope}/${request.key}`);
            return { ok: true, fact: value === undefined ? null : { scope: request.scope, owner: config.id, key: request.key, value, ts: 1000, by: config.id } };
          }
          default:
            return { ok: true };
        }
      },
    },
    events: {
      heartbeat: (u) => void rec.heartbeats.push(u),
      exited: (e) => void rec.exits.push(e),
    },
  };
}

export interface Inbox {
  client: MqttClient;
  got: { topic: string; kind: string; body: Record<string, unknown>; qos: number }[];
  /** resolves with the first message (from index `from` on) of this kind matching `pred` */
  next(kind: string, pred?: (body: Record<string, unknown>) => boolean, from?: number): Promise<Record<string, unknown>>;
  send(kind: string, payload: unknown): Promise<void>;
}

/** Connect as an agent user, subscribe to `in/#` and collect what arrives. */
export async function agentClient(port: number, user: keyof typeof PASSWORDS = "vent", opts: IClientOptions = {}): Promise<Inbox> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    username: user,
    password: PASSWORDS[user],
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...(user === "admin" ? {} : { will: { topic: `${agentBase(SCOPE, user)}/gone`, payload: Buffer.from("{}"), qos: 0, retain: false } }),
    ...opts,
  });
  const got: Inbox["got"] = [];
  let waiters: (() => void)[] = [];
  client.on("message", (topic, payload, packet) => {
    got.push({ topic, kind: topic.slice(topic.lastIndexOf("/") + 1), body: JSON.parse(payload.toString()) as Record<string, unknown>, qos: packet.qos });
    const w = waiters;
    waiters = [];
    w.forEach((f) => f());
  });
  if (user === "vent") await client.subscribeAsync(`${BASE}/in/#`, { qos: 1 });
  return {
    client,
    got,
    async next(kind, pred = () => true, from = 0) {
      for (;;) {
        const hit = got.slice(from).find((m) => m.kind === kind && pred(m.body));
        if (hit) return hit.body;
        await new Promise<void>((r) => waiters.push(r));
      }
    },
    send: async (kind, payload) => {
      await client.publishAsync(`${BASE}/${kind}`, typeof payload === "string" ? payload : JSON.stringify(payload), { qos: 1 });
    },
  };
}

export async function waitUntil<T>(cond: () => T | undefined | false, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((r) => setTimeout(r, 5));
  }
}

/**
 * An external host for `config` and the agent itself run as `llmagentos run-agent` runs it: the
 * agent shell over the MQTT shell port, connected as the vent user with its last will.
 */
export async function runShellAgent(broker: BrokerHandle, port: number, config: AgentConfig) {
  const o = hostOptions(broker, config);
  const host = new ExternalHost(o);
  await host.start();
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    username: "vent",
    password: PASSWORDS.vent,
    reconnectPeriod: 0,
    will: { topic: `${BASE}/gone`, payload: Buffer.from("{}"), qos: 0, retain: false },
  });
  const shellPort = new MqttShellPort({ client, scope: SCOPE, config, configDir: process.cwd(), version: "test" });
  startAgentShell(shellPort, { cpuMs: () => process.cpuUsage().user / 1000 });
  return { host, rec: o.rec, client, shellPort };
}
