/**
 * Modbus driver: one per connection key (a Modbus TCP peer or an RTU serial bus), serving every
 * unit id behind it. Requests go through the connection's RequestQueue; each one names its unit id
 * explicitly (modbus-serial's writeFCn(address, …) calls), so there is no shared `setID` state even
 * with several TCP requests in flight (TCP transactions are matched by MBAP transaction id).
 *
 * Connection loss (close, reset, refused, a TCP stream desynchronised by a bad frame) marks the driver
 * disconnected and fails the requests in flight with LOS_E_DEVICE_DISCONNECTED; the link
 * (modbus-link.ts) reconnects in the background with exponential backoff and jitter. Requests made
 * while disconnected fail at once without touching the wire. Nothing here throws from a timer or an event.
 */
import type ModbusRTU from "modbus-serial";
import { systemClock, type Clock } from "../../core/clock.js";
import { LosError, isLosError } from "../../core/errors.js";
import { silentLogger, type Logger, type Value } from "../../core/types.js";
import { connectionKey } from "../../config/connection-schema.js";
import { encodeBoolRegister, encodeRegisters, toBool, type CodecPoint } from "../codec.js";
import type { BlockData, BlockResult, Driver, DriverError, DriverHealth, ReadOptions } from "../driver.js";
import { RequestQueue } from "../request-queue.js";
import { translateModbusError, type TranslateContext } from "./modbus-errors.js";
import { ModbusLink, type ModbusConnection, type PortInternals } from "./modbus-link.js";
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
}

export const DEFAULT_TIMEOUT_MS = 1000;

type Callback<T> = (err: unknown, data?: T) => void;

function defaultInterFrameDelay(c: ModbusConnection): number {
  if (c.interFrameDelayMs !== undefined) return c.interFrameDelayMs;
  // RTU: 3.5 character times (11 bits each) of silence between frames, at least 2 ms.
  return c.type === "modbus-rtu" ? Math.max(2, Math.ceil((3.5 * 11 * 1000) / (c.baudRate ?? 9600))) : 0;
}

export class ModbusDriver implements Driver {
  readonly key: string;
  #conn: ModbusConnection;
  #clock: Clock;
  #log: Logger;
  #onChange: ((connected: boolean, error?: LosError) => void) | undefined;
  #queue: RequestQueue;
  #timeoutMs: number;
  #link: ModbusLink;
  #closed = false;
  #inFlight = new Set<(err: LosError) => void>();
  #requests = 0;
  #failures = 0;
  #lastError: DriverError | undefined;
  #latencyMs: number | undefined;
  /** TCP with maxInFlight > 1: requests issued in one turn share one socket write */
  #cork: boolean;

  constructor(options: ModbusDriverOptions) {
    const c = options.connection;
    this.#conn = c;
    this.key = connectionKey(c);
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.logger ?? silentLogger).child({ connection: this.key });
    this.#onChange = options.onConnectionChange;
    this.#timeoutMs = c.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#link = new ModbusLink({
      connection: c,
      key: this.key,
      clock: this.#clock,
      logger: this.#log,
      random: options.random ?? Math.random,
      timeoutMs: this.#timeoutMs,
      events: {
        up: () => this.#notify(true),
        lost: (err) => {
          const down =
            err.code === "LOS_E_DEVICE_DISCONNECTED" ? err : new LosError("LOS_E_DEVICE_DISCONNECTED", `reconnecting after: ${err.message}`, { cause: err });
          this.#lastError = { code: err.code, message: err.message, ts: this.#clock.now() };
          for (const fail of [...this.#inFlight]) fail(down);
          this.#notify(false, err);
        },
        openFailed: (err) => {
          this.#lastError = { code: err.code, message: `connect ${this.key}: ${err.message}`, ts: this.#clock.now() };
        },
      },
    });
    const maxInFlight = c.type === "modbus-tcp" ? (c.maxInFlight ?? 1) : 1;
    this.#cork = maxInFlight > 1;
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
    const closedErr = new LosError("LOS_E_DRIVER_CLOSED");
    for (const fail of [...this.#inFlight]) fail(closedErr);
    await this.#link.close();
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
    const t0 = this.#clock.monotonic();
    const ctx: TranslateContext = { unitId, address: b.address, count: b.count, key: this.key };
    let data: BlockData;
    switch (b.kind) {
      case "coil":
        data = (await this.#exec<{ data: boolean[] }>(ctx, (c, cb) => c.writeFC1(unitId, b.address, b.count, cb))).data;
        break;
      case "discrete":
        data = (await this.#exec<{ data: boolean[] }>(ctx, (c, cb) => c.writeFC2(unitId, b.address, b.count, cb))).data;
        break;
      case "holding":
        data = (await this.#exec<{ data: number[] }>(ctx, (c, cb) => c.writeFC3(unitId, b.address, b.count, cb))).data;
        break;
      case "input":
        data = (await this.#exec<{ data: number[] }>(ctx, (c, cb) => c.writeFC4(unitId, b.address, b.count, cb))).data;
        break;
    }
    if (data.length > b.count) data.length = b.count; // bit reads come back padded to whole bytes
    return { ok: true, data, latencyMs: this.#clock.monotonic() - t0 };
  }

  async #write(unitId: number, p: CodecPoint, bool: boolean | undefined, words: number[] | undefined): Promise<void> {
    const ctx: TranslateContext = { unitId, address: p.address, count: p.count, key: this.key };
    if (p.register === "coil") {
      await this.#exec(ctx, (c, cb) => c.writeFC5(unitId, p.address, bool === true, cb));
      return;
    }
    if (words === undefined) {
      let current = 0;
      if (p.bit !== undefined) {
        // read-modify-write inside one queued job: no other request of ours can interleave
        const r = await this.#exec<{ data: number[] }>(ctx, (c, cb) => c.writeFC3(unitId, p.address, 1, cb));
        current = r.data[0] ?? 0;
      }
      words = [encodeBoolRegister(p, bool === true, current)];
    }
    const w = words;
    if (w.length === 1) await this.#exec(ctx, (c, cb) => c.writeFC6(unitId, p.address, w[0]!, cb));
    else await this.#exec(ctx, (c, cb) => c.writeFC16(unitId, p.address, w, cb));
  }

  /** Run one library call with its callback, translating the outcome; the one place requests meet the wire. */
  #exec<T>(ctx: TranslateContext, call: (client: ModbusRTU, cb: Callback<T>) => void): Promise<T> {
    const client = this.#link.client;
    if (!client) {
      const err = new LosError("LOS_E_DEVICE_DISCONNECTED", `not connected to ${this.key}${this.#lastError ? `: ${this.#lastError.message}` : ""}`, {
        details: { ...ctx },
      });
      this.#noteFailure(err);
      return Promise.reject(err);
    }
    const internals = client as unknown as PortInternals;
    if (this.#conn.type === "modbus-rtu" && internals._port && Buffer.isBuffer(internals._port._buffer)) {
      internals._port._buffer = Buffer.alloc(0); // drop leftovers of an earlier, failed answer
    }
    this.#requests++;
    const link = this.#link;
    const rx0 = link.rxBytes;
    const t0 = this.#clock.monotonic();
    // The id this request will get: modbus-serial registers it under this key and never removes it,
    // so up to 256 finished requests per connection (their callbacks, promises and answers) would stay
    // reachable — ~40 MB of heap with 100 devices. Remove our entry once the request is settled.
    const txKey = String(internals._port?._transactionIdWrite);
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const onAnswer: Callback<T> = (err, data) => finish(err ? translateModbusError(err, ctx) : undefined, data);
      const finish = (err: LosError | undefined, data?: T): void => {
        if (done) return;
        done = true;
        this.#clock.clearTimeout(guard);
        this.#inFlight.delete(finish);
        const transactions = internals._transactions;
        if (transactions?.[txKey]?.next === onAnswer) delete transactions[txKey];
        if (!err) {
          this.#latencyMs = this.#clock.monotonic() - t0;
          resolve(data as T);
          return;
        }
        reject(this.#afterError(client, err, link.rxBytes > rx0));
      };
      // Backstop in case the library never calls back; its own timeout normally fires first.
      const guard = this.#clock.setTimeout(
        () => finish(new LosError("LOS_E_DEVICE_TIMEOUT", `no answer within ${this.#timeoutMs} ms`, { details: { ...ctx } })),
        this.#timeoutMs + 1000,
      );
      guard.unref?.();
      this.#inFlight.add(finish);
      if (this.#cork) link.corkUntilLater();
      try {
        call(client, onAnswer);
      } catch (err) {
        finish(translateModbusError(err, ctx));
      }
    });
  }

  /** Classify a failed request, count it, and decide whether the connection must be rebuilt. */
  #afterError(client: ModbusRTU, err: LosError, bytesArrived: boolean): LosError {
    let e = err;
    if (e.code === "LOS_E_DEVICE_TIMEOUT" && bytesArrived) {
      // Something came back, but never a frame the library could accept: garbage or a short frame.
      e = new LosError("LOS_E_DEVICE_BAD_FRAME", `bytes arrived but no valid answer (${e.message})`, { cause: err, details: err.details });
    }
    if (e.code === "LOS_E_DEVICE_TIMEOUT" && !client.isOpen) {
      e = new LosError("LOS_E_DEVICE_DISCONNECTED", `connection to ${this.key} lost`, { cause: err, details: err.details });
    }
    this.#noteFailure(e);
    if (e.code === "LOS_E_DEVICE_DISCONNECTED" || (e.code === "LOS_E_DEVICE_BAD_FRAME" && this.#conn.type === "modbus-tcp")) {
      // A TCP stream that carried a bad frame may be out of step with MBAP framing: start afresh.
      this.#link.lost(client, e);
    }
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
