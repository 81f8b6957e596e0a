/**
 * One OPC-UA endpoint: an OPCUAClient and one session, shared by every device on the endpoint.
 *
 * node-opcua's own reconnection is switched off (maxRetry 0): after a server restart the session is
 * gone on the server side and node-opcua may bring back the channel without it. Instead, any loss
 * releases the client entirely and a fresh client and session are built after a bounded
 * exponential backoff with jitter; the devices are told (`up`) and recreate their subscriptions
 * and monitored items on the new session. Every attempt re-reads the certificate store, so a server
 * trusted with `llmagentos certs trust` is accepted on the next retry. Nothing here throws from a
 * timer: failures become health and `attemptFailed` events.
 */
import os from "node:os";
import { join } from "node:path";
import { MessageSecurityMode, OPCUACertificateManager, OPCUAClient, SecurityPolicy, type ClientSession, type UserIdentityInfo } from "node-opcua";
import type { Clock, TimerHandle } from "../../core/clock.js";
import { LosError } from "../../core/errors.js";
import type { Logger } from "../../core/types.js";
import type { OpcuaConnection } from "../../config/connection-schema.js";
import type { DriverError, DriverHealth } from "../driver.js";
import { translateOpcuaError } from "./opcua-errors.js";
import { APPLICATION_NAME, ensureOwnCertificate, serverEndpoints } from "./opcua-client-setup.js";
import { dropRejectedCopiesOfTrusted, pkiRoot } from "./opcua-pki.js";

export const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_RECONNECT_MIN_MS = 500;
const DEFAULT_RECONNECT_MAX_MS = 30_000;

export interface SessionEvents {
  /** a new session is open: (re)create subscriptions */
  up(session: ClientSession): void;
  /** the session was lost */
  down(err: LosError): void;
  /** a connect attempt failed (counts towards unavailability) */
  attemptFailed(err: LosError): void;
}

export interface SessionLinkOptions {
  connection: OpcuaConnection;
  identity: UserIdentityInfo;
  clock: Clock;
  logger: Logger;
  random: () => number;
  dataDir?: string;
}

export class OpcuaSessionLink {
  readonly endpoint: string;
  readonly timeoutMs: number;
  readonly #o: SessionLinkOptions;
  readonly #listeners = new Set<SessionEvents>();
  readonly #minMs: number;
  readonly #maxMs: number;
  readonly #pki: string;
  #client: OPCUAClient | undefined;
  #manager: OPCUACertificateManager | undefined;
  #session: ClientSession | undefined;
  #connecting: Promise<void> | undefined;
  #timer: TimerHandle | undefined;
  #attempt = 0;
  #closed = false;
  #everUp = false;
  #health = { requests: 0, failures: 0, reconnects: 0, latencyMs: undefined as number | undefined, lastError: undefined as DriverError | undefined };

  constructor(o: SessionLinkOptions) {
    this.#o = o;
    this.endpoint = o.connection.endpoint;
    this.timeoutMs = o.connection.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#minMs = o.connection.reconnectMinMs ?? DEFAULT_RECONNECT_MIN_MS;
    this.#maxMs = Math.max(this.#minMs, o.connection.reconnectMaxMs ?? DEFAULT_RECONNECT_MAX_MS);
    // without a data dir (library use, some tests) the store is per user, never shared with a gateway
    this.#pki = pkiRoot(o.dataDir ?? join(os.tmpdir(), `llmagentos-opcua-${os.userInfo().uid}`));
  }

  get session(): ClientSession | undefined {
    return this.#session;
  }

  listen(events: SessionEvents): () => void {
    this.#listeners.add(events);
    if (this.#session) events.up(this.#session);
    return () => this.#listeners.delete(events);
  }

  /** First attempt; resolves when it settled, connected or not. Aborting the signal closes. */
  open(signal?: AbortSignal): Promise<void> {
    signal?.addEventListener("abort", () => void this.close(), { once: true });
    return this.#connect();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#connecting?.catch(() => {});
    const session = this.#session;
    this.#session = undefined;
    if (session) await this.#bounded(session.close(true)).catch(() => {});
    await this.#release();
  }

  /** Run one request on the session, bounded by timeoutMs, counted and translated. */
  async request<T>(what: string, fn: (session: ClientSession) => Promise<T>): Promise<T> {
    const session = this.#session;
    if (!session) {
      this.#health.failures++;
      throw this.#lastError ?? new LosError("LOS_E_DEVICE_DISCONNECTED", `${this.endpoint}: not connected; ${what} not sent`);
    }
    this.#health.requests++;
    const started = this.#o.clock.monotonic();
    try {
      const out = await this.#bounded(fn(session), what);
      this.#health.latencyMs = this.#o.clock.monotonic() - started;
      return out;
    } catch (err) {
      this.#health.failures++;
      const e = translateOpcuaError(err, { endpoint: this.endpoint, fallback: "LOS_E_DEVICE_STATUS" });
      this.#noteError(e);
      if (e.code === "LOS_E_DEVICE_DISCONNECTED" && session === this.#session) this.lost(e);
      throw e;
    }
  }

  /** The session is unusable (a dead subscription, a closed channel): start over. */
  lost(err: LosError): void {
    if (this.#closed || !this.#session) return;
    this.#o.logger.warn({ endpoint: this.endpoint, code: err.code, err: err.message }, "opcua session lost");
    this.#session = undefined;
    this.#noteError(err);
    for (const l of this.#listeners) l.down(err);
    void this.#release().finally(() => this.#schedule());
  }

  health(): DriverHealth {
    const h = this.#health;
    const out: DriverHealth = { connected: this.#session !== undefined, requests: h.requests, failures: h.failures, reconnects: h.reconnects, dropped: 0, coalesced: 0, queued: 0 };
    if (h.lastError) out.lastError = h.lastError;
    if (h.latencyMs !== undefined) out.latencyMs = h.latencyMs;
    return out;
  }

  get #lastError(): LosError | undefined {
    const e = this.#health.lastError;
    return e ? new LosError(e.code, e.message) : undefined;
  }

  #noteError(e: LosError): void {
    this.#health.lastError = { code: e.code, message: e.message, ts: this.#o.clock.now() };
  }

  #connect(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#connecting ??= this.#attemptOnce().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #attemptOnce(): Promise<void> {
    const { connection, logger } = this.#o;
    const securityMode = connection.securityMode ?? "SignAndEncrypt";
    const securityPolicy = connection.securityPolicy ?? (securityMode === "None" ? "None" : "Basic256Sha256");
    let client: OPCUAClient | undefined;
    try {
      dropRejectedCopiesOfTrusted(this.#pki);
      this.#manager = new OPCUACertificateManager({ rootFolder: this.#pki, automaticallyAcceptUnknownCertificate: false, disableFileWatchers: true });
      await this.#manager.initialize();
      client = OPCUAClient.create({
        applicationName: APPLICATION_NAME,
        endpointMustExist: false,
        securityMode: MessageSecurityMode[securityMode],
        securityPolicy: SecurityPolicy[securityPolicy],
        clientCertificateManager: this.#manager,
        connectionStrategy: { maxRetry: 0, initialDelay: this.#minMs, maxDelay: this.#maxMs },
        requestedSessionTimeout: connection.sessionTimeoutMs ?? 60_000,
        defaultTransactionTimeout: Math.max(this.timeoutMs, 5000),
      });
      this.#client = client;
      await ensureOwnCertificate(client, this.#pki, logger);
      await this.#bounded(client.connect(this.endpoint), "connect");
      const session = await this.#bounded(client.createSession(this.#o.identity), "create session");
      if (this.#closed) {
        await this.#bounded(session.close(true)).catch(() => {});
        return;
      }
      const onLost = () => this.lost(new LosError("LOS_E_DEVICE_DISCONNECTED", `connection to ${this.endpoint} lost`));
      client.on("connection_lost", onLost);
      client.on("close", onLost);
      this.#session = session;
      this.#attempt = 0;
      if (this.#everUp) this.#health.reconnects++;
      this.#everUp = true;
      logger.info({ endpoint: this.endpoint, securityMode, securityPolicy }, "opcua session open");
      for (const l of this.#listeners) l.up(session);
    } catch (err) {
      const e = await this.#explain(err);
      this.#noteError(e);
      logger.warn({ endpoint: this.endpoint, code: e.code, err: e.message }, "opcua connect failed");
      await this.#release();
      for (const l of this.#listeners) l.attemptFailed(e);
      this.#schedule();
    }
  }

  async #explain(err: unknown): Promise<LosError> {
    const raw = err instanceof Error ? err.message : String(err);
    const ctx: Parameters<typeof translateOpcuaError>[1] = { endpoint: this.endpoint };
    // the failed client keeps neither: ask the server over a discovery channel
    if (/Cannot find an Endpoint matching|BadCertificate|Certificate verification failed/i.test(raw)) {
      const found = await serverEndpoints(this.endpoint, this.#pki).catch(() => undefined);
      if (found?.thumbprint) ctx.thumbprint = found.thumbprint;
      if (found) ctx.offered = found.offered;
    }
    return translateOpcuaError(err, ctx);
  }

  #schedule(): void {
    if (this.#closed || this.#timer) return;
    const base = Math.min(this.#maxMs, this.#minMs * 2 ** Math.min(this.#attempt, 30));
    const delay = Math.max(this.#minMs, Math.round(base * (0.5 + 0.5 * this.#o.random())));
    this.#attempt++;
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#connect().catch((err: unknown) => {
        this.#o.logger.error({ endpoint: this.endpoint, err: String(err) }, "opcua reconnect failed unexpectedly");
        this.#schedule();
      });
    }, delay);
    this.#timer.unref?.();
  }

  /** Drop the client (and its certificate manager) without throwing or hanging. */
  async #release(): Promise<void> {
    const client = this.#client;
    const manager = this.#manager;
    this.#client = undefined;
    this.#manager = undefined;
    if (client) {
      client.removeAllListeners("connection_lost");
      client.removeAllListeners("close");
      await this.#bounded(client.disconnect()).catch(() => {});
    }
    await manager?.dispose().catch(() => {});
  }

  /** Bound a node-opcua promise by timeoutMs (node-opcua's own floor is 5 s). */
  #bounded<T>(p: Promise<T>, what = "request"): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.#o.clock.setTimeout(() => {
        reject(new LosError("LOS_E_DEVICE_TIMEOUT", `${this.endpoint}: no answer to ${what} within ${this.timeoutMs} ms`, { details: { endpoint: this.endpoint, timeoutMs: this.timeoutMs } }));
      }, what === "connect" || what === "create session" ? Math.max(this.timeoutMs, 10_000) : this.timeoutMs);
      p.then(
        (v) => {
          this.#o.clock.clearTimeout(timer);
          resolve(v);
        },
        (err: unknown) => {
          this.#o.clock.clearTimeout(timer);
          reject(err);
        },
      );
    });
  }
}
