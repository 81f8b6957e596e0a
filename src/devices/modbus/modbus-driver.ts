/**
 * Modbus driver: one per connection key (a Modbus TCP peer or an RTU serial bus), serving every
 * unit id behind it. Requests go through the connection's RequestQueue; each one names its unit id
 * explicitly, so several TCP requests may be in flight (matched by MBAP transaction id).
 *
 * The wire is a transport (modbus-transport.ts): our own MBAP client for TCP, modbus-serial for RTU
 * (loaded only when an RTU connection exists). Connection loss (close, reset, refused, a TCP stream
 * desynchronised by a bad frame) marks the driver disconnected and fails the requests in flight with
 * LOS_E_DEVICE_DISCONNECTED; the link (modbus-link.ts) reconnects in the background with exponential
 * backoff and jitter. Requests made while disconnected fail at once without touching the wire.
 * Nothing here throws from a timer or an event.
 */
import { systemClock, type Clock } from "../../core/clock.js";
import { LosError, isLosError } from "../../core/errors.js";
import { silentLogger, type Logger, type Value } from "../../core/types.js";
import { connectionKey } from "../../config/connection-key.js";
import { encodeBoolRegister, encodeRegisters, toBool, type CodecPoint } from "../codec.js";
import type { BlockData, BlockResult, Driver, DriverError, DriverHealth, ReadOptions } from "../driver.js";
import { RequestQueue } from "../request-queue.js";
import { translateModbusError, type TranslateContext } from "./modbus-errors.js";
import { ModbusLink, type ModbusConnection } from "./modbus-link.js";
import type { ModbusTransport } from "./modbus-transport.js";
import type { ReadBlock } from "./read-plan.js";

export { DEFAULT_RECONNECT_MAX_MS, DEFAULT_RECONNECT_MIN_MS, type ModbusConnection } from "./modbus-link.js";

export interface ModbusDriverOptions {
  connection: ModbusConnection;
  clock?: Clock;
  logger?: Logger;
  /** polls allowed to wait in the queue (default 64) */
  maxQueued?: number;
  /** source of jitter in [0,1) (default Math.random) */
  random?: () => number;
  /** called on every connect / disconnect (never throws into the driver) */
  onConnectionChange?: (connected: boolean, error?: LosError) => void;
  /**
   * Clock of request and connect timeouts (default the system clock, whatever `clock` is): a test
   * that steps `clock` through poll intervals should not also have to step through I/O waits.
   */
  timeoutClock?: Clock;
}

export const DEFAULT_TIMEOUT_MS = 1000;

function defaultInterFrameDelay(c: ModbusConnection): number {
  if (c.interFrameDelayMs !== undefined) return c.interFrameDelayMs;
  // RTU: 3.5 character times (11 bits each) of silence between frames, at least 2 ms.
  return c.type === "modbus-rtu" ? Math.max(2, Math.ceil((3.5 * 11 * 1000) / (c.baudRate ?? 9600))) : 0;
}

export class ModbusDriver implements Driver {
  readonly key: string;
  #clock: Clock;
  #log: Logger;
  #onChange: ((connected: boolean, error?: LosError) => void) | undefined;
  #queue: RequestQueue;
  #timeoutMs: number;
  #link: ModbusLink;
  #closed = false;
  #requests = 0;
  #failures = 0;
  #lastError: DriverError | undefined;
  #latencyMs: number | undefined;

  constructor(options: ModbusDriverOptions) {
    const c = options.connection;
    this.key = connectionKey(c);
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.logger ?? silentLogger).child({ connection: this.key });
    this.#onChange = options.onConnectionChange;
    this.#timeoutMs = c.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#link = new ModbusLink({
      connection: c,
      key: this.key,
      clock: this.#clock,
      timeoutClock: options.timeoutClock ?? systemClock,
      logger: this.#log,
      random: options.random ?? Math.random,
      timeoutMs: this.#timeoutMs,
      events: {
        up: () => this.#notify(true),
        lost: (err) => {
          this.#lastError = { code: err.code, message: err.message, ts: this.#clock.now() };
          this.#notify(false, err);
        },
        openFailed: (err) => {
          this.#lastError = { code: err.code, message: `connect ${this.key}: ${err.message}`, ts: this.#clock.now() };
        },
      },
    });
    const maxInFlight = c.type === "modbus-tcp" ? (c.maxInFlight ?? 1) : 1;
    this.#queue = new RequestQueue({
      clock: this.#clock,
      maxInFlight,
      interFrameDelayMs: defaultInterFrameDelay(c),
      maxQueued: options.maxQueued,
    });
  }

  async open(signal?: AbortSignal): Promise<void> {
    if (this.#closed) throw new LosError("LOS_E_DRIVER_CLOSED");
    if (signal) {
      if (signal.aborted) return void (await this.close());
      signal.addEventListener("abort", () => void this.close(), { once: true });
    }
    await this.#link.open();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.close();
    await this.#link.close(new LosError("LOS_E_DRIVER_CLOSED"));
  }

  health(): DriverHealth {
    const q = this.#queue.stats();
    const h: DriverHealth = {
      connected: this.#link.connected,
      requests: this.#requests,
      failures: this.#failures,
      reconnects: this.#link.reconnects,
      dropped: q.dropped,
      coalesced: q.coalesced,
      queued: q.queued,
    };
    if (this.#lastError) h.lastError = this.#lastError;
    if (this.#latencyMs !== undefined) h.latencyMs = this.#latencyMs;
    return h;
  }

  read(unitId: number, blocks: readonly ReadBlock[], options: ReadOptions = {}): Promise<BlockResult[]> {
    const coalesce = options.coalesce !== false;
    const out: Promise<BlockResult>[] = new Array(blocks.length);
    // After a timeout, the rest of this batch for the same unit fails at once instead of spending
    // one more timeout of bus time per block (a dead slave must not starve the others on the bus).
    let dead: LosError | undefined;
    const readOne = async (b: ReadBlock): Promise<BlockResult> => {
      if (dead) throw dead;
      try {
        return await this.#readBlock(unitId, b);
      } catch (err) {
        if (isLosError(err, "LOS_E_DEVICE_TIMEOUT")) dead = err;
        throw err;
      }
    };
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i]!;
      out[i] = this.#queue
        .enqueue(() => readOne(b), {
          priority: "poll",
          key: coalesce ? `${unitId}:${b.kind}:${b.address}:${b.count}` : undefined,
        })
        .then(
          (r) => r,
          (err: unknown): BlockResult => ({ ok: false, error: translateModbusError(err, { unitId, key: this.key }) }),
        );
    }
    return Promise.all(out);
  }

  write(unitId: number, point: CodecPoint, value: Value): Promise<void> {
    if (point.register !== "coil" && point.register !== "holding") {
      return Promise.reject(new LosError("LOS_E_WRITE_READ_ONLY", `point ${point.name} is a ${point.register}`));
    }
    // Encode before queueing: a value that cannot be encoded never costs bus time.
    let words: number[] | undefined;
    let bool: boolean | undefined;
    try {
      if (point.register === "coil" || point.type === "bool") bool = toBool(point, value);
      else words = encodeRegisters(point, value);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#queue.enqueue(() => this.#write(unitId, point, bool, words), { priority: "write" });
  }

  // ---------------------------------------------------------------- requests

  async #readBlock(unitId: number, b: ReadBlock): Promise<BlockResult> {
    const ctx: TranslateContext = { unitId, address: b.address, count: b.count, key: this.key };
    const t0 = this.#clock.monotonic();
    let data: BlockData;
    try {
      const t = this.#begin(ctx);
      if (b.kind === "holding" || b.kind === "input") data = await t.readRegisters(unitId, b.kind === "holding" ? 3 : 4, b.address, b.count);
      else data = await t.readBits(unitId, b.kind === "coil" ? 1 : 2, b.address, b.count);
    } catch (err) {
      throw this.#failed(err, ctx);
    }
    const latencyMs = this.#clock.monotonic() - t0;
    this.#latencyMs = latencyMs;
    return { ok: true, data, latencyMs };
  }

  async #write(unitId: number, p: CodecPoint, bool: boolean | undefined, words: number[] | undefined): Promise<void> {
    const ctx: TranslateContext = { unitId, address: p.address, count: p.count, key: this.key };
    const t0 = this.#clock.monotonic();
    try {
      if (p.register === "coil") {
        await this.#begin(ctx).writeCoil(unitId, p.address, bool === true);
      } else {
        if (words === undefined) {
          let current = 0;
          if (p.bit !== undefined) {
            // read-modify-write inside one queued job: no other request of ours can interleave
            current = (await this.#begin(ctx).readRegisters(unitId, 3, p.address, 1))[0] ?? 0;
          }
          words = [encodeBoolRegister(p, bool === true, current)];
        }
        const t = this.#begin(ctx);
        if (words.length === 1) await t.writeRegister(unitId, p.address, words[0]!);
        else await t.writeRegisters(unitId, p.address, words);
      }
    } catch (err) {
      throw this.#failed(err, ctx);
    }
    this.#latencyMs = this.#clock.monotonic() - t0;
  }

  /** The open transport for one more request, or LOS_E_DEVICE_DISCONNECTED without touching the wire. */
  #begin(ctx: TranslateContext): ModbusTransport {
    const t = this.#link.transport;
    if (!t) {
      throw new LosError("LOS_E_DEVICE_DISCONNECTED", `not connected to ${this.key}${this.#lastError ? `: ${this.#lastError.message}` : ""}`, {
        details: { ...ctx },
      });
    }
    this.#requests++;
    return t;
  }

  /** A request failed: its coded error, counted (the transport has already dropped a broken connection). */
  #failed(err: unknown, ctx: TranslateContext): LosError {
    const e = translateModbusError(err, ctx);
    this.#noteFailure(e);
    return e;
  }

  #noteFailure(err: LosError): void {
    this.#failures++;
    this.#lastError = { code: err.code, message: err.message, ts: this.#clock.now() };
  }

  #notify(connected: boolean, err?: LosError): void {
    try {
      this.#onChange?.(connected, err);
    } catch (e) {
      this.#log.error({ err: String(e) }, "onConnectionChange threw");
    }
  }

  /** Number of reconnect attempts since the last successful connect (for tests and metrics). */
  get attempt(): number {
    return this.#link.attempt;
  }
}
