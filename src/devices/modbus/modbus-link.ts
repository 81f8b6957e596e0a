/**
 * The link of a Modbus driver to its peer (a TCP socket or a serial bus): opens a transport
 * (modbus-transport.ts), hears when it dies, and after a loss reconnects in the background with
 * exponential backoff and jitter (reconnectMinMs..reconnectMaxMs, the delay doubling per failed
 * attempt). The transports fail their own requests; the link tells the driver when it is up, lost, or
 * could not be opened. Nothing here throws from a timer or an event.
 */
import type { Clock, TimerHandle } from "../../core/clock.js";
import { LosError } from "../../core/errors.js";
import type { Logger } from "../../core/types.js";
import { openTransport, type ModbusConnection, type ModbusTransport } from "./modbus-transport.js";

export type { ModbusConnection } from "./modbus-transport.js";

export const DEFAULT_RECONNECT_MIN_MS = 250;
export const DEFAULT_RECONNECT_MAX_MS = 30_000;

export interface ModbusLinkEvents {
  /** the transport is open and usable */
  up(): void;
  /** the open transport was lost (`err` says why); a reconnect is scheduled */
  lost(err: LosError): void;
  /** an attempt to open failed (always LOS_E_DEVICE_DISCONNECTED); a retry is scheduled */
  openFailed(err: LosError): void;
}

export interface ModbusLinkOptions {
  connection: ModbusConnection;
  key: string;
  /** clock of the reconnect backoff */
  clock: Clock;
  /** clock of request and connect timeouts */
  timeoutClock: Clock;
  logger: Logger;
  random: () => number;
  timeoutMs: number;
  events: ModbusLinkEvents;
}

export class ModbusLink {
  #o: ModbusLinkOptions;
  #minMs: number;
  #maxMs: number;
  #transport: ModbusTransport | undefined;
  #closed = false;
  #connecting: Promise<void> | undefined;
  #attempt = 0;
  #reconnectTimer: TimerHandle | undefined;
  #reconnects = 0;
  #everConnected = false;

  constructor(o: ModbusLinkOptions) {
    this.#o = o;
    this.#minMs = o.connection.reconnectMinMs ?? DEFAULT_RECONNECT_MIN_MS;
    this.#maxMs = Math.max(this.#minMs, o.connection.reconnectMaxMs ?? DEFAULT_RECONNECT_MAX_MS);
  }

  /** The open transport, or undefined while disconnected. */
  get transport(): ModbusTransport | undefined {
    return this.#transport;
  }

  get connected(): boolean {
    return this.#transport !== undefined;
  }

  /** Successful connects after the first. */
  get reconnects(): number {
    return this.#reconnects;
  }

  /** Reconnect attempts since the last successful connect. */
  get attempt(): number {
    return this.#attempt;
  }

  /** First attempt; resolves once it has settled, connected or not (retries go on in the background). */
  open(): Promise<void> {
    if (this.#closed || this.#transport) return Promise.resolve();
    this.#connecting ??= this.#connectOnce().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  /** Stop reconnecting and close the transport, failing its requests with `reason`. */
  async close(reason: LosError): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#reconnectTimer) this.#o.clock.clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    const t = this.#transport;
    this.#transport = undefined;
    if (this.#connecting) await this.#connecting.catch(() => {});
    if (t) await t.close(reason);
  }

  /** `t` died (it failed its own requests already): forget it, tell the driver, reconnect. */
  #lost(t: ModbusTransport, err: LosError): void {
    if (t !== this.#transport) return;
    this.#transport = undefined;
    this.#o.logger.warn({ code: err.code, err: err.message }, "modbus connection lost");
    this.#o.events.lost(err);
    this.#scheduleReconnect();
  }

  async #connectOnce(): Promise<void> {
    const o = this.#o;
    let t: ModbusTransport | undefined;
    let lostEarly: LosError | undefined;
    try {
      t = await openTransport(o.connection, {
        key: o.key,
        timeoutMs: o.timeoutMs,
        clock: o.timeoutClock,
        logger: o.logger,
        onLost: (err) => (t ? this.#lost(t, err) : (lostEarly = err)),
      });
    } catch (err) {
      const down = err instanceof LosError && err.code === "LOS_E_DEVICE_DISCONNECTED" ? err : new LosError("LOS_E_DEVICE_DISCONNECTED", String(err), { cause: err });
      o.logger.debug({ err: down.message }, "modbus connect failed");
      o.events.openFailed(down);
      this.#scheduleReconnect();
      return;
    }
    if (this.#closed) {
      await t.close(new LosError("LOS_E_DRIVER_CLOSED"));
      return;
    }
    this.#transport = t;
    this.#attempt = 0;
    if (this.#everConnected) this.#reconnects++;
    this.#everConnected = true;
    o.logger.info({}, "modbus connected");
    o.events.up();
    if (lostEarly || !t.isOpen) this.#lost(t, lostEarly ?? new LosError("LOS_E_DEVICE_DISCONNECTED", `connection to ${o.key} closed`));
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#reconnectTimer) return;
    const base = Math.min(this.#maxMs, this.#minMs * 2 ** Math.min(this.#attempt, 30));
    const delay = Math.max(this.#minMs, Math.round(base * (0.5 + 0.5 * this.#o.random())));
    this.#attempt++;
    this.#reconnectTimer = this.#o.clock.setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.open().catch((err: unknown) => {
        this.#o.logger.error({ err: String(err) }, "modbus reconnect failed unexpectedly");
        this.#scheduleReconnect();
      });
    }, delay);
    this.#reconnectTimer.unref?.();
  }
}
