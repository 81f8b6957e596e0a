/**
 * The embedded MQTT broker: aedes behind our own listeners, authentication, ACL hooks, size limits
 * and the MQTT 3.1.1 corrections aedes 1.2.0 needs (see docs/bus.md).
 */
import { Aedes, type Client } from "aedes";
import type { Duplex } from "node:stream";
import { systemClock, type Clock } from "../core/clock.js";
import { LosError } from "../core/errors.js";
import { silentLogger, type Logger } from "../core/types.js";
import { createAclHooks } from "./acl-hooks.js";
import { createAuthHooks, DEFAULT_FAILURE_LIMIT, type ConnectionMeta, type FailureLimit } from "./authenticate.js";
import { defaultAuthorizer, type Authorizer, type Identity } from "./authorize.js";
import { createBusClient, type BusClient } from "./bus-client.js";
import { BusStatsCollector, type BusStats } from "./bus-stats.js";
import type { CredentialStore } from "./credentials.js";
import { GuardedStream, type FrameViolation } from "./frame-guard.js";
import { isLoopbackHost, Listener, type BoundListener, type ListenerSpec } from "./listeners.js";
import { disablePacketNumberCache } from "./packet-numbers.js";
import { capForwardQos } from "./qos-cap.js";
import { DEFAULT_TOPIC_LIMITS } from "./topic-rules.js";

export interface BrokerLimits {
  /** largest PUBLISH payload accepted from a network client (default 256 KiB) */
  maxPayloadBytes: number;
  /** most topic levels (default 16) */
  maxTopicDepth: number;
  /** most characters in a topic or filter (default 512) */
  maxTopicLength: number;
  /** most connected clients; further CONNECTs get 0x03 (default: no limit) */
  maxClients?: number;
  /** PUBLISH rate of each client the authorizer gives none (default: no limit) */
  messagesPerSecond?: number;
}

export interface BrokerOptions {
  listeners: ListenerSpec[];
  credentials: CredentialStore;
  limits?: Partial<BrokerLimits>;
  authorizer?: Authorizer;
  /** authentication failures per remote address before its CONNECTs are refused for the window */
  authFailureLimit?: FailureLimit;
  /** ms to wait for CONNECT after a socket opens (default 10 s) */
  connectTimeoutMs?: number;
  logger?: Logger;
  clock?: Clock;
}

export interface BrokerHandle {
  readonly aedes: Aedes;
  readonly client: BusClient;
  /** the listeners with the ports actually bound */
  listeners(): BoundListener[];
  stats(): BusStats;
  /** The identity of a connected client (undefined for unknown ids). */
  identityOf(clientId: string): Identity | undefined;
  close(): Promise<void>;
}

export const DEFAULT_LIMITS: BrokerLimits = {
  maxPayloadBytes: 256 * 1024,
  maxTopicDepth: DEFAULT_TOPIC_LIMITS.maxTopicDepth,
  maxTopicLength: DEFAULT_TOPIC_LIMITS.maxTopicLength,
};

/** Room for everything in a non-PUBLISH packet besides a will payload (ids, user, password, filters). */
const CONTROL_OVERHEAD_BYTES = 64 * 1024;

function validate(opts: BrokerOptions, limits: BrokerLimits): void {
  if (opts.listeners.length === 0) {
    throw new LosError("LOS_E_CONFIG_INVALID", "bus.listeners: at least one listener is needed", { details: { path: "bus.listeners" } });
  }
  opts.listeners.forEach((l, i) => {
    if (l.allowAnonymous && !isLoopbackHost(l.host)) {
      throw new LosError(
        "LOS_E_CONFIG_INVALID",
        `bus.listeners[${i}]: allowAnonymous is only allowed on a loopback host (127.0.0.0/8, ::1, localhost), not on ${l.host}; ` +
          "remove allowAnonymous or bind the listener to 127.0.0.1",
        { details: { path: `bus.listeners[${i}].allowAnonymous`, host: l.host } },
      );
    }
  });
  for (const key of ["maxPayloadBytes", "maxTopicDepth", "maxTopicLength"] as const) {
    if (!Number.isInteger(limits[key]) || limits[key] < 1) {
      throw new LosError("LOS_E_CONFIG_INVALID", `bus.limits.${key} must be a positive integer`, { details: { path: `bus.limits.${key}` } });
    }
  }
  if (limits.messagesPerSecond !== undefined && !(limits.messagesPerSecond > 0)) {
    throw new LosError("LOS_E_CONFIG_INVALID", "bus.limits.messagesPerSecond must be a positive number", { details: { path: "bus.limits.messagesPerSecond" } });
  }
  if (limits.maxTopicDepth > 100) {
    throw new LosError("LOS_E_CONFIG_INVALID", "bus.limits.maxTopicDepth cannot exceed 100 (aedes's limit)", { details: { path: "bus.limits.maxTopicDepth" } });
  }
}

export async function startBroker(opts: BrokerOptions): Promise<BrokerHandle> {
  const limits: BrokerLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  validate(opts, limits);
  disablePacketNumberCache();
  const logger = (opts.logger ?? silentLogger).child({ component: "bus" });
  const clock = opts.clock ?? systemClock;
  const authorizer = opts.authorizer ?? defaultAuthorizer;
  const stats = new BusStatsCollector();
  const connMeta = new WeakMap<object, ConnectionMeta>();
  const identities = new WeakMap<Client, Identity>();
  // the auth hooks are made before aedes exists and need its client count later
  const aedesRef: { current?: Aedes } = {};

  const auth = createAuthHooks({
    credentials: opts.credentials,
    authorizer,
    limits,
    clock,
    logger,
    stats,
    connMeta,
    identities,
    connectedClients: () => aedesRef.current?.connectedClients ?? 0,
    ...(limits.maxClients !== undefined ? { maxClients: limits.maxClients } : {}),
    failureLimit: opts.authFailureLimit ?? DEFAULT_FAILURE_LIMIT,
  });
  const acl = createAclHooks({ authorizer, limits, logger, clock, stats, identities });

  const aedes = await Aedes.createBroker({
    preConnect: auth.preConnect,
    authenticate: auth.authenticate,
    authorizePublish: acl.authorizePublish,
    authorizeSubscribe: acl.authorizeSubscribe,
    authorizeForward: capForwardQos,
    connectTimeout: opts.connectTimeoutMs ?? 10_000,
    maxTopicLevels: 100,
  });
  aedesRef.current = aedes;
  aedes.on("clientError", (client, err) => logger.debug({ clientId: client.id, err: err.message }, "MQTT client error"));
  aedes.on("connectionError", (_client, err) => logger.debug({ err: err.message }, "MQTT connection error"));

  const onViolation = (meta: ConnectionMeta, v: FrameViolation) => {
    if (v.kind === "payload") {
      stats.inc("payloadTooLarge");
      logger.warn(
        { code: "LOS_E_BUS_PAYLOAD_TOO_LARGE", ip: meta.ip, payloadBytes: v.payloadBytes, max: limits.maxPayloadBytes },
        "MQTT publish payload too large; client disconnected before the payload was read",
      );
    } else {
      stats.inc("protocolErrors");
      logger.warn({ code: "LOS_E_BUS_PROTOCOL", ip: meta.ip, ...v }, "MQTT packet too large or malformed; client disconnected");
    }
  };
  const frameLimits = { maxPayloadBytes: limits.maxPayloadBytes, maxControlPacketBytes: limits.maxPayloadBytes + CONTROL_OVERHEAD_BYTES };
  const onConnection = (stream: Duplex, meta: ConnectionMeta, req?: import("node:http").IncomingMessage) => {
    if (aedes.closed) return void stream.destroy();
    const guarded = new GuardedStream(stream, frameLimits, (v) => onViolation(meta, v));
    connMeta.set(guarded, meta);
    aedes.handle(guarded, req);
  };

  const listeners: Listener[] = [];
  const closeAll = async () => {
    acl.close();
    await Promise.all(listeners.map((l) => l.close()));
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
  };
  try {
    for (const spec of opts.listeners) {
      listeners.push(await Listener.start(spec, onConnection, frameLimits.maxControlPacketBytes + 16));
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
  for (const l of listeners) logger.info({ ...l.bound(), allowAnonymous: l.spec.allowAnonymous === true }, "MQTT listener ready");

  const client = createBusClient(aedes, limits, logger);
  let closing: Promise<void> | undefined;
  return {
    aedes,
    client,
    listeners: () => listeners.map((l) => l.bound()),
    stats: () => stats.snapshot(aedes.connectedClients),
    identityOf: (clientId) => {
      const c = (aedes as unknown as { clients: Record<string, Client | undefined> }).clients[clientId];
      return c ? identities.get(c) : undefined;
    },
    close: () => (closing ??= closeAll()),
  };
}
