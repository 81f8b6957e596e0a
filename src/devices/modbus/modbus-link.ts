/**
 * The link of a Modbus driver to its peer (a TCP socket or a serial bus): opens the modbus-serial
 * client, watches it for close and error events, and after a loss reconnects in the background with
 * exponential backoff and jitter (reconnectMinMs..reconnectMaxMs, the delay doubling per failed
 * attempt). The driver owns the requests; the link tells it when the client is up, lost, or could not
 * be opened. Nothing here throws from a timer or an event.
 */
import ModbusRTU from "modbus-serial";
import type { Clock, TimerHandle } from "../../core/clock.js";
import { LosError } from "../../core/errors.js";
import type { Logger } from "../../core/types.js";
import type { ModbusRtuConnection, ModbusTcpConnection } from "../../config/connection-schema.js";
import { translateModbusError } from "./modbus-errors.js";

export type ModbusConnection = ModbusTcpConnection | ModbusRtuConnection;

export const DEFAULT_RECONNECT_MIN_MS = 250;
export const DEFAULT_RECONNECT_MAX_MS = 30_000;

/** The parts of modbus-serial's internals we touch, all optional and guarded. */
export interface PortInternals {
  _port?: {
    _client?: {
      on?: (ev: string, fn: (...a: unknown[]) => void) => void;
      removeAllListeners?: () => void;
      cork?: () => void;
      uncork?: () => void;
    };
    _buffer?: Buffer;
    _transactionIdWrite?: number;
    on?: (ev: string, fn: (...a: unknown[]) => void) => void;
  };
  /** pending requests by MBAP transaction id (one key, "undefined", on RTU); the library never deletes them */
  _transactions?: Record<string, { next?: unknown } | undefined>;
}

export interface ModbusLinkEvents {
  /** the client is open and usable */
  up(): void;
  /** the open client was lost (`err` says why); a reconnect is scheduled */
  lost(err: LosError): void;
  /** an attempt to open failed (always LOS_E_DEVICE_DISCONNECTED); a retry is scheduled */
  openFailed(err: LosError): void;
}

export interface ModbusLinkOptions {
  connection: ModbusConnection;
  key: string;
  clock: Clock;
  logger: Logger;
  random: () => number;
  timeoutMs: number;
  events: ModbusLinkEvents;
}

export class ModbusLink {
  #conn: ModbusConnection;
  #key: string;
  #clock: Clock;
  #log: Logger;
  #random: () => number;
  #timeoutMs: number;
  #events: ModbusLinkEvents;
  #minMs: number;
  #maxMs: number;
  #client: ModbusRTU | undefined;
  #closed = false;
  #connecting: Promise<void> | undefined;
  #attempt = 0;
  #reconnectTimer: TimerHandle | undefined;
  #reconnects = 0;
  #everConnected = false;
  #rxBytes = 0;
  /** the socket held corked until the check phase of this event-loop turn, and the timer that uncorks it */
  #corked: { uncork?: () => void } | undefined;
  #uncorkTimer: ReturnType<typeof setImmediate> | undefined;

  constructor(o: ModbusLinkOptions) {
    this.#conn = o.connection;
    this.#key = o.key;
    this.#clock = o.clock;
    this.#log = o.logger;
    this.#random = o.random;
    this.#timeoutMs = o.timeoutMs;
    this.#events = o.events;
    this.#minMs = o.connection.reconnectMinMs ?? DEFAULT_RECONNECT_MIN_MS;
    this.#maxMs = Math.max(this.#minMs, o.connection.reconnectMaxMs ?? DEFAULT_RECONNECT_MAX_MS);
  }

  /** The open client, or undefined while disconnected. */
  get client(): ModbusRTU | undefined {
    return this.#client;
  }

  get connected(): boolean {
    return this.#client !== undefined;
  }

  /** Bytes received on the current and earlier sockets (TCP), to tell garbage from silence. */
  get rxBytes(): number {
    return this.#rxBytes;
  }

  /** Successful connects after the first. */
  get reconnects(): number {
    return this.#reconnects;
  }

  /** Reconnect attempts since the last successful connect. */
  get attempt(): number {
    return this.#attempt;
  }

  /**
   * TCP only: hold the socket's writes until later in this event-loop turn, so requests issued
   * together leave in one write syscall. modbus-serial's TcpPort writes each request from a promise
   * reaction (after its previous write settled), which runs after a process.nextTick queued from a
   * timer callback; setImmediate runs after all of them. The socket is uncorked then, or at once
   * when the link is lost or closed — never left corked.
   */
  corkUntilLater(): void {
    if (this.#corked || this.#conn.type !== "modbus-tcp") return;
    const socket = (this.#client as unknown as PortInternals | undefined)?._port?._client;
    if (!socket?.cork || !socket.uncork) return;
    socket.cork();
    this.#corked = socket;
    this.#uncorkTimer = setImmediate(this.#uncork);
  }

  readonly #uncork = (): void => {
    const socket = this.#corked;
    this.#corked = undefined;
    if (this.#uncorkTimer) clearImmediate(this.#uncorkTimer);
    this.#uncorkTimer = undefined;
    try {
      socket?.uncork?.();
    } catch (err) {
      this.#log.debug({ err: String(err) }, "uncork failed");
    }
  };

  /** First attempt; resolves once it has settled, connected or not (retries go on in the background). */
  open(): Promise<void> {
    if (this.#closed || this.#client) return Promise.resolve();
    this.#connecting ??= this.#connectOnce().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  /** Stop reconnecting and release the client (waits for an attempt under way). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#reconnectTimer) this.#clock.clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    const client = this.#client;
    this.#client = undefined;
    this.#uncork();
    if (this.#connecting) await this.#connecting.catch(() => {});
    if (client) await this.#release(client);
  }

  /** `client` is gone (an event, or a request that showed the stream is unusable): release it, reconnect. */
  lost(client: ModbusRTU, err: LosError): void {
    if (client !== this.#client) return;
    this.#client = undefined;
    this.#uncork();
    this.#log.warn({ code: err.code, err: err.message }, "modbus connection lost");
    this.#events.lost(err);
    void this.#release(client);
    this.#scheduleReconnect();
  }

  async #connectOnce(): Promise<void> {
    const c = this.#conn;
    const client = new ModbusRTU();
    client.setTimeout(this.#timeoutMs);
    const onError = (err: unknown): void => this.lost(client, translateModbusError(err, { key: this.#key }));
    client.on("error", onError);
    try {
      const opening =
        c.type === "modbus-tcp"
          ? client.connectTCP(c.host, { port: c.port })
          : client.connectRTUBuffered(c.path, {
              baudRate: c.baudRate ?? 9600,
              parity: c.parity ?? "none",
              dataBits: c.dataBits ?? 8,
              stopBits: c.stopBits ?? 1,
            });
      (client as unknown as PortInternals)._port?.on?.("error", onError);
      await opening;
    } catch (err) {
      const e = translateModbusError(err, { key: this.#key });
      const down = e.code === "LOS_E_DEVICE_DISCONNECTED" ? e : new LosError("LOS_E_DEVICE_DISCONNECTED", e.message, { cause: err });
      this.#log.debug({ err: down.message }, "modbus connect failed");
      this.#events.openFailed(down);
      await this.#release(client);
      this.#scheduleReconnect();
      return;
    }
    if (this.#closed) {
      await this.#release(client);
      return;
    }
    const raw = (client as unknown as PortInternals)._port?._client;
    raw?.on?.("data", (chunk: unknown) => {
      if (Buffer.isBuffer(chunk)) this.#rxBytes += chunk.length;
    });
    const onClose = (): void => this.lost(client, new LosError("LOS_E_DEVICE_DISCONNECTED", `connection to ${this.#key} closed`));
    raw?.on?.("close", onClose);
    raw?.on?.("error", onError);
    client.on("close", onClose);
    this.#client = client;
    this.#attempt = 0;
    if (this.#everConnected) this.#reconnects++;
    this.#everConnected = true;
    this.#log.info({}, "modbus connected");
    this.#events.up();
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#reconnectTimer) return;
    const base = Math.min(this.#maxMs, this.#minMs * 2 ** Math.min(this.#attempt, 30));
    const delay = Math.max(this.#minMs, Math.round(base * (0.5 + 0.5 * this.#random())));
    this.#attempt++;
    this.#reconnectTimer = this.#clock.setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.open().catch((err: unknown) => {
        this.#log.error({ err: String(err) }, "modbus reconnect failed unexpectedly");
        this.#scheduleReconnect();
      });
    }, delay);
    this.#reconnectTimer.unref?.();
  }

  /** Close a client without ever throwing or hanging for long. */
  #release(client: ModbusRTU): Promise<void> {
    return new Promise<void>((resolve) => {
      let settled = false;
      const done = (): void => {
        if (settled) return;
        settled = true;
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(done, 2000);
      t.unref();
      try {
        if (this.#conn.type === "modbus-tcp") client.destroy(done);
        else if (client.isOpen) client.close(done);
        else done();
      } catch {
        done();
      }
    });
  }
}
