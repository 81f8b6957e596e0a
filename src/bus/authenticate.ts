/**
 * The CONNECT checks, as aedes preConnect + authenticate hooks:
 * - MQTT-3.1.3-8 (aedes 1.2.0 accepts an empty client id with clean session 0; we answer 0x02);
 * - maximum number of clients (0x03);
 * - per-address failure limit: after `maxFailures` failures within `windowMs`, CONNECTs from that
 *   address are refused with 0x05 without checking the password;
 * - username/password against the CredentialStore (0x04), anonymous only on loopback listeners
 *   with allowAnonymous (else 0x05);
 * - the will topic must be well formed and allowed for the identity (else 0x05).
 */
import type { AuthenticateError, Client, ConnectPacket } from "aedes";
import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/types.js";
import type { Authorizer, Identity } from "./authorize.js";
import type { BusStatsCollector } from "./bus-stats.js";
import type { CredentialStore } from "./credentials.js";
import { checkTopicName, type TopicLimits } from "./topic-rules.js";

/** What the listener knows about a connection; attached to the stream handed to aedes. */
export interface ConnectionMeta {
  listener: "tcp" | "ws";
  host: string;
  port: number;
  allowAnonymous: boolean;
  ip: string;
}

export interface FailureLimit {
  maxFailures: number;
  windowMs: number;
}

export const DEFAULT_FAILURE_LIMIT: FailureLimit = { maxFailures: 10, windowMs: 60_000 };

export interface AuthHooksOptions {
  credentials: CredentialStore;
  authorizer: Authorizer;
  limits: TopicLimits;
  clock: Clock;
  logger: Logger;
  stats: BusStatsCollector;
  connMeta: WeakMap<object, ConnectionMeta>;
  identities: WeakMap<Client, Identity>;
  connectedClients: () => number;
  maxClients?: number;
  failureLimit: FailureLimit;
}

const RC_IDENTIFIER_REJECTED = 2;
const RC_SERVER_UNAVAILABLE = 3;
const RC_BAD_USERNAME_OR_PASSWORD = 4;
const RC_NOT_AUTHORIZED = 5;

interface Pending {
  meta: ConnectionMeta;
  packet: ConnectPacket;
  reject?: { code: number; reason: string };
}

function refusal(returnCode: number, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

class FailureWindow {
  #entries = new Map<string, { start: number; count: number; logged: boolean }>();
  #limit: FailureLimit;
  #clock: Clock;

  constructor(limit: FailureLimit, clock: Clock) {
    this.#limit = limit;
    this.#clock = clock;
  }

  #entry(ip: string) {
    const now = this.#clock.monotonic();
    let e = this.#entries.get(ip);
    if (e && now - e.start >= this.#limit.windowMs) {
      this.#entries.delete(ip);
      e = undefined;
    }
    return e;
  }

  /** true if the address is over the limit; `firstTime` true once per window for logging */
  blocked(ip: string): { blocked: boolean; firstTime: boolean } {
    const e = this.#entry(ip);
    if (!e || e.count < this.#limit.maxFailures) return { blocked: false, firstTime: false };
    const firstTime = !e.logged;
    e.logged = true;
    return { blocked: true, firstTime };
  }

  failure(ip: string): number {
    let e = this.#entry(ip);
    if (!e) {
      if (this.#entries.size >= 4096) this.#prune();
      e = { start: this.#clock.monotonic(), count: 0, logged: false };
      this.#entries.set(ip, e);
    }
    return ++e.count;
  }

  #prune(): void {
    for (const ip of [...this.#entries.keys()]) this.#entry(ip);
    if (this.#entries.size >= 4096) this.#entries.clear();
  }
}

export function createAuthHooks(o: AuthHooksOptions) {
  const pending = new WeakMap<Client, Pending>();
  const failures = new FailureWindow(o.failureLimit, o.clock);

  function preConnect(client: Client, packet: ConnectPacket, cb: (err: Error | null, ok: boolean) => void): void {
    const meta = o.connMeta.get(client.conn);
    if (!meta) return cb(new Error("connection not from a broker listener"), false);
    const p: Pending = { meta, packet };
    const clientId = packet.clientId ?? "";
    if (clientId === "" && packet.clean === false) {
      p.reject = { code: RC_IDENTIFIER_REJECTED, reason: "empty client id with clean session 0 [MQTT-3.1.3-8]" };
    } else if (clientId === "" && packet.protocolVersion === 3) {
      p.reject = { code: RC_IDENTIFIER_REJECTED, reason: "MQTT 3.1 requires a client id" };
    } else if (o.maxClients !== undefined && o.connectedClients() >= o.maxClients) {
      p.reject = { code: RC_SERVER_UNAVAILABLE, reason: `client limit ${o.maxClients} reached` };
    }
    if (packet.will) {
      const problem = checkTopicName(packet.will.topic, o.limits);
      if (problem?.kind === "malformed") {
        o.stats.inc("protocolErrors");
        o.logger.warn(
          { code: "LOS_E_BUS_PROTOCOL", ip: meta.ip, clientId, topic: packet.will.topic },
          `MQTT CONNECT refused: will topic ${problem.reason}`,
        );
        return cb(new Error(`will topic: ${problem.reason}`), false);
      }
      if (problem) p.reject ??= { code: RC_NOT_AUTHORIZED, reason: `will topic: ${problem.reason}` };
    }
    pending.set(client, p);
    cb(null, true);
  }

  function refuse(client: Client, p: Pending, code: number, reason: string, done: (e: AuthenticateError, ok: null) => void) {
    o.stats.inc("connectsRefused");
    pending.delete(client);
    done(refusal(code, reason), null);
  }

  function authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (err: AuthenticateError | null, ok: boolean | null) => void,
  ): void {
    const p = pending.get(client);
    if (!p) return done(refusal(RC_NOT_AUTHORIZED, "no CONNECT context"), null);
    const { meta } = p;
    const log = { ip: meta.ip, listener: `${meta.listener}:${meta.host}:${meta.port}`, clientId: client.id, username };
    if (p.reject) {
      if (p.reject.code === RC_IDENTIFIER_REJECTED) o.stats.inc("identifierRejected");
      o.logger.warn({ code: "LOS_E_BUS_PROTOCOL", ...log, returnCode: p.reject.code }, `MQTT CONNECT refused: ${p.reject.reason}`);
      return refuse(client, p, p.reject.code, p.reject.reason, done);
    }
    const gate = failures.blocked(meta.ip);
    if (gate.blocked) {
      o.stats.inc("rateLimited");
      if (gate.firstTime) {
        o.logger.warn(
          { code: "LOS_E_BUS_AUTH", ...log, maxFailures: o.failureLimit.maxFailures, windowMs: o.failureLimit.windowMs },
          "too many MQTT authentication failures from this address; refusing its CONNECTs for the rest of the window",
        );
      }
      return refuse(client, p, RC_NOT_AUTHORIZED, "too many authentication failures", done);
    }
    const fail = (code: number, reason: string) => {
      o.stats.authFailure(meta.ip);
      const count = failures.failure(meta.ip);
      o.logger.warn({ code: "LOS_E_BUS_AUTH", ...log, returnCode: code, failuresInWindow: count }, `MQTT authentication failed: ${reason}`);
      refuse(client, p, code, reason, done);
    };
    const accept = (identity: Identity) => {
      const will = p.packet.will;
      if (will && !o.authorizer.canPublish(identity, will.topic)) {
        o.stats.inc("notAuthorized");
        o.logger.warn({ code: "LOS_E_BUS_NOT_AUTHORIZED", ...log, topic: will.topic }, "MQTT CONNECT refused: will topic not allowed");
        return refuse(client, p, RC_NOT_AUTHORIZED, "will topic not allowed", done);
      }
      pending.delete(client);
      o.identities.set(client, identity);
      o.stats.inc("connectsAccepted");
      done(null, true);
    };

    if (username === undefined) {
      if (!meta.allowAnonymous) return fail(RC_NOT_AUTHORIZED, "anonymous clients are not allowed on this listener");
      return accept({ role: "anonymous", clientId: client.id, ip: meta.ip, listener: meta.listener });
    }
    if (password === undefined) return fail(RC_BAD_USERNAME_OR_PASSWORD, "no password given");
    o.credentials.verify(username, password).then(
      (user) => {
        if (client.closed) return;
        if (!user) return fail(RC_BAD_USERNAME_OR_PASSWORD, "bad username or password");
        const identity: Identity = { role: user.role, username, clientId: client.id, ip: meta.ip, listener: meta.listener };
        if (user.tenant !== undefined) identity.tenant = user.tenant;
        accept(identity);
      },
      (err: unknown) => {
        o.logger.error({ code: "LOS_E_INTERNAL", ...log, err }, "password check failed");
        refuse(client, p, RC_SERVER_UNAVAILABLE, "password check failed", done);
      },
    );
  }

  return { preConnect, authenticate };
}
