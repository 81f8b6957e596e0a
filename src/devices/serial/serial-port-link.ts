/**
 * One serial port held open by the gateway: opens it with serialport (locked, so a second program
 * or connection cannot share it), hands incoming bytes to the channel, and when it closes under us
 * (a USB adapter pulled, a pty gone) or cannot be opened, reconnects in the background with
 * exponential backoff and jitter (reconnectMinMs..reconnectMaxMs). Nothing here throws from a timer
 * or an event: failures are reported through `events`.
 */
import { realpath } from "node:fs/promises";
import { SerialPort } from "serialport";
import type { Clock, TimerHandle } from "../../core/clock.js";
import { LosError } from "../../core/errors.js";
import type { Logger } from "../../core/types.js";
import type { SerialConnection } from "../../config/connection-schema.js";
import { translateSerialError } from "./serial-errors.js";

export const DEFAULT_RECONNECT_MIN_MS = 250;
export const DEFAULT_RECONNECT_MAX_MS = 30_000;
/** How often an open port's path is checked: a vanished device node is not always reported as a close. */
export const PATH_CHECK_MS = 1000;

export interface SerialLinkEvents {
  up(): void;
  data(chunk: Buffer): void;
  /** the open port was lost; a reconnect is scheduled */
  lost(err: LosError): void;
  /** an attempt to open failed (missing, busy, other); a retry is scheduled */
  openFailed(err: LosError): void;
}

export interface SerialLinkOptions {
  connection: SerialConnection;
  clock: Clock;
  logger: Logger;
  random: () => number;
  events: SerialLinkEvents;
}

export class SerialPortLink {
  readonly #conn: SerialConnection;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #random: () => number;
  readonly #events: SerialLinkEvents;
  readonly #minMs: number;
  readonly #maxMs: number;
  #port: SerialPort | undefined;
  #connecting: Promise<void> | undefined;
  #timer: TimerHandle | undefined;
  #watch: TimerHandle | undefined;
  #attempt = 0;
  #closed = false;
  #everUp = false;
  reconnects = 0;

  constructor(o: SerialLinkOptions) {
    this.#conn = o.connection;
    this.#clock = o.clock;
    this.#log = o.logger;
    this.#random = o.random;
    this.#events = o.events;
    this.#minMs = o.connection.reconnectMinMs ?? DEFAULT_RECONNECT_MIN_MS;
    this.#maxMs = Math.max(this.#minMs, o.connection.reconnectMaxMs ?? DEFAULT_RECONNECT_MAX_MS);
  }

  get connected(): boolean {
    return this.#port !== undefined;
  }

  /** First attempt; resolves once it has settled, open or not (retries go on in the background). */
  open(): Promise<void> {
    if (this.#closed || this.#port) return Promise.resolve();
    this.#connecting ??= this.#openOnce().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  /** Write bytes; rejects with LOS_E_DEVICE_DISCONNECTED when the port is not open. */
  write(bytes: Buffer): Promise<void> {
    const port = this.#port;
    if (!port) return Promise.reject(new LosError("LOS_E_DEVICE_DISCONNECTED", `serial port ${this.#conn.path} is not open`));
    return new Promise((resolve, reject) => {
      port.write(bytes, (err) => (err ? reject(translateSerialError(err, this.#conn.path)) : resolve()));
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#watch) this.#clock.clearTimeout(this.#watch);
    this.#watch = undefined;
    if (this.#connecting) await this.#connecting.catch(() => undefined);
    const port = this.#port;
    this.#port = undefined;
    if (port) await release(port);
  }

  async #openOnce(): Promise<void> {
    const c = this.#conn;
    const device = await realpath(c.path).catch(() => undefined);
    const port = new SerialPort({
      path: c.path,
      baudRate: c.baudRate ?? 9600,
      parity: c.parity ?? "none",
      dataBits: c.dataBits ?? 8,
      stopBits: c.stopBits ?? 1,
      autoOpen: false,
      lock: true,
    });
    try {
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    } catch (err) {
      const e = translateSerialError(err, c.path);
      this.#log.debug({ code: e.code, err: e.message }, "serial open failed");
      this.#events.openFailed(e);
      this.#schedule();
      return;
    }
    if (this.#closed) {
      await release(port);
      return;
    }
    port.on("data", (chunk: Buffer) => {
      if (this.#port === port) this.#events.data(chunk);
    });
    port.on("error", (err: unknown) => this.#lost(port, translateSerialError(err, c.path)));
    port.on("close", (err: unknown) => {
      const why = err ? translateSerialError(err, c.path) : undefined;
      const e = why && why.code !== "LOS_E_DEVICE_DISCONNECTED" ? why : new LosError("LOS_E_DEVICE_DISCONNECTED", `serial port ${c.path} closed`, { cause: err });
      this.#lost(port, e);
    });
    this.#port = port;
    this.#attempt = 0;
    if (this.#everUp) this.reconnects++;
    this.#everUp = true;
    this.#log.info({ path: c.path }, "serial port open");
    this.#events.up();
    if (device !== undefined) this.#watchPath(port, device);
  }

  /**
   * While `port` is open, check that its path still leads to the device node opened: an adapter
   * pulled (or a pty pair torn down and made again under the same link) ends the port even when
   * the binding reports no close.
   */
  #watchPath(port: SerialPort, device: string): void {
    const check = (): void => {
      if (this.#closed || this.#port !== port) return;
      this.#watch = undefined;
      realpath(this.#conn.path)
        .then(
          (now) => now === device,
          () => false,
        )
        .then((same) => {
          if (this.#port !== port) return;
          if (same) {
            this.#watch = this.#clock.setTimeout(check, PATH_CHECK_MS);
            this.#watch.unref?.();
          } else {
            this.#lost(port, new LosError("LOS_E_SERIAL_PORT_MISSING", `serial port ${this.#conn.path} is gone`, { details: { path: this.#conn.path } }));
          }
        })
        .catch((err: unknown) => this.#log.error({ err: String(err) }, "serial path check failed unexpectedly"));
    };
    this.#watch = this.#clock.setTimeout(check, PATH_CHECK_MS);
    this.#watch.unref?.();
  }

  #lost(port: SerialPort, err: LosError): void {
    if (this.#port !== port) return;
    this.#port = undefined;
    if (this.#watch) this.#clock.clearTimeout(this.#watch);
    this.#watch = undefined;
    this.#log.warn({ code: err.code, err: err.message }, "serial port lost");
    this.#events.lost(err);
    void release(port);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed || this.#timer) return;
    const base = Math.min(this.#maxMs, this.#minMs * 2 ** Math.min(this.#attempt, 30));
    const delay = Math.max(this.#minMs, Math.round(base * (0.5 + 0.5 * this.#random())));
    this.#attempt++;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.open().catch((err: unknown) => {
        this.#log.error({ err: String(err) }, "serial reopen failed unexpectedly");
        this.#schedule();
      });
    }, delay);
    this.#timer.unref?.();
  }
}

/** Close a port without throwing or waiting long. */
function release(port: SerialPort): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!port.isOpen) return resolve();
    const t = setTimeout(resolve, 2000);
    t.unref();
    try {
      port.close(() => {
        clearTimeout(t);
        resolve();
      });
    } catch {
      clearTimeout(t);
      resolve();
    }
  });
}
