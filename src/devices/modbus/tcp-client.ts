/**
 * A Modbus TCP client on one socket, lean enough for a hundred devices polled ten times a second:
 * - up to `maxInFlight` requests on the wire, answers matched by MBAP transaction id (any order);
 *   more wait in FIFO order and leave as answers come back;
 * - every request issued in one event-loop turn leaves in one socket write (turn-writer.ts);
 * - one timer per client, not per request: requests leave in deadline order, so the timer only ever
 *   watches the oldest one (on the injected clock);
 * - a frame that does not parse, does not fit its request, or answers nothing we asked is
 *   LOS_E_DEVICE_BAD_FRAME and ends the connection (the stream may be out of step with MBAP); so does
 *   a timeout while part of a frame sits unparsed. A late answer to a request that timed out is
 *   dropped quietly.
 * One client is one connection: once lost or closed it fails every request; open a new one to retry.
 */
import net from "node:net";
import { systemClock, type Clock, type TimerHandle } from "../../core/clock.js";
import { LosError } from "../../core/errors.js";
import { silentLogger, type Logger } from "../../core/types.js";
import { exceptionError, type TranslateContext } from "./modbus-errors.js";
import { MBAP_HEADER_BYTES, MbapReader, writeMbapHeader, type FrameHandler } from "./mbap-frame.js";
import { checkRequest, decodeResponse, encodeRequest, requestBytes, PduError, type FunctionCode, type PduRequest } from "./pdu-codec.js";
import { TurnWriter } from "./turn-writer.js";
import type { ModbusTransport } from "./modbus-transport.js";

export interface TcpClientOptions {
  host: string;
  port: number;
  /** name of the peer in messages (default host:port) */
  key?: string;
  /** per-request answer timeout (default 1000 ms) */
  timeoutMs?: number;
  /** how long a connect may take (default the larger of timeoutMs and 3000 ms) */
  connectTimeoutMs?: number;
  /** requests on the wire at once (default 1) */
  maxInFlight?: number;
  /** clock of the timeouts (default the system clock) */
  clock?: Clock;
  logger?: Logger;
  /** the connection died by itself (not by close()): called once, after its requests were failed */
  onLost?: (err: LosError) => void;
  /** transaction id of the first request (default 1); ids wrap at 65536 */
  firstTransactionId?: number;
}

export interface TcpClientStats {
  requests: number;
  /** socket writes: one per event-loop turn that issued requests */
  writes: number;
  /** answers that came after their request had timed out, dropped */
  late: number;
  inFlight: number;
  waiting: number;
  /** bytes of an incomplete answer frame waiting for the rest */
  buffered: number;
}

interface Pending extends PduRequest {
  tid: number;
  unitId: number;
  deadline: number;
  resolve: (data: unknown) => void;
  reject: (err: LosError) => void;
}

export class ModbusTcpClient implements ModbusTransport {
  readonly #socket: net.Socket;
  readonly #key: string;
  readonly #timeoutMs: number;
  readonly #maxInFlight: number;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #onLost: ((err: LosError) => void) | undefined;
  readonly #reader = new MbapReader();
  /** by transaction id, in send (and so deadline) order */
  readonly #inFlight = new Map<number, Pending>();
  readonly #waiting: Pending[] = [];
  /**
   * one bit per transaction id that timed out, so its late answer is not taken for garbage; made at
   * the first timeout (8 KiB per connection that most connections never need)
   */
  #expired: Uint8Array | undefined;
  readonly #writer: TurnWriter;
  #timer: TimerHandle | undefined;
  #nextTid: number;
  #open = true;
  #downError: LosError | undefined;
  #requests = 0;
  #late = 0;

  /** Connect; rejects with LOS_E_DEVICE_DISCONNECTED when the peer cannot be reached in time. */
  static connect(o: TcpClientOptions): Promise<ModbusTcpClient> {
    const clock = o.clock ?? systemClock;
    const ms = o.connectTimeoutMs ?? Math.max(o.timeoutMs ?? 1000, 3000);
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: o.host, port: o.port });
      const settle = (err?: Error): void => {
        clock.clearTimeout(timer);
        socket.off("error", settle);
        if (!err) return resolve(new ModbusTcpClient(socket, o));
        socket.destroy();
        reject(new LosError("LOS_E_DEVICE_DISCONNECTED", `cannot connect to ${o.host}:${o.port}: ${err.message}`, { cause: err }));
      };
      const timer = clock.setTimeout(() => settle(new Error(`no connection within ${ms} ms`)), ms);
      timer.unref?.();
      socket.once("error", settle);
      socket.once("connect", () => settle());
    });
  }

  private constructor(socket: net.Socket, o: TcpClientOptions) {
    this.#socket = socket;
    this.#key = o.key ?? `${o.host}:${o.port}`;
    this.#timeoutMs = o.timeoutMs ?? 1000;
    this.#maxInFlight = Math.max(1, Math.floor(o.maxInFlight ?? 1));
    this.#clock = o.clock ?? systemClock;
    this.#log = o.logger ?? silentLogger;
    this.#onLost = o.onLost;
    this.#nextTid = (o.firstTransactionId ?? 1) & 0xffff;
    this.#writer = new TurnWriter((chunk) => socket.write(chunk));
    socket.setNoDelay(true);
    socket.on("data", this.#onData);
    socket.on("error", (err: Error) => this.#lose(new LosError("LOS_E_DEVICE_DISCONNECTED", `${this.#key}: ${err.message}`, { cause: err })));
    socket.on("close", () => this.#lose(new LosError("LOS_E_DEVICE_DISCONNECTED", `connection to ${this.#key} closed`)));
  }

  get isOpen(): boolean {
    return this.#open;
  }

  stats(): TcpClientStats {
    return { requests: this.#requests, writes: this.#writer.writes, late: this.#late, inFlight: this.#inFlight.size, waiting: this.#waiting.length, buffered: this.#reader.buffered };
  }

  readBits(unitId: number, fc: 1 | 2, address: number, count: number): Promise<boolean[]> {
    return this.#request(unitId, fc, address, count, 0, undefined) as Promise<boolean[]>;
  }

  readRegisters(unitId: number, fc: 3 | 4, address: number, count: number): Promise<number[]> {
    return this.#request(unitId, fc, address, count, 0, undefined) as Promise<number[]>;
  }

  writeCoil(unitId: number, address: number, on: boolean): Promise<void> {
    return this.#request(unitId, 5, address, 1, on ? 1 : 0, undefined) as Promise<void>;
  }

  writeRegister(unitId: number, address: number, value: number): Promise<void> {
    return this.#request(unitId, 6, address, 1, value, undefined) as Promise<void>;
  }

  writeCoils(unitId: number, address: number, values: readonly boolean[]): Promise<void> {
    return this.#request(unitId, 15, address, values.length, 0, values) as Promise<void>;
  }

  writeRegisters(unitId: number, address: number, values: readonly number[]): Promise<void> {
    return this.#request(unitId, 16, address, values.length, 0, values) as Promise<void>;
  }

  /** Fail everything in flight or waiting with `reason` (default LOS_E_DRIVER_CLOSED) and close the socket. */
  async close(reason: LosError = new LosError("LOS_E_DRIVER_CLOSED")): Promise<void> {
    if (this.#open) this.#shutdown(reason, undefined);
    if (this.#socket.closed) return;
    await new Promise<void>((resolve) => this.#socket.once("close", () => resolve()));
  }

  // ---------------------------------------------------------------- sending

  #request(unitId: number, fc: FunctionCode, address: number, quantity: number, value: number, values: Pending["values"]): Promise<unknown> {
    if (!this.#open) return Promise.reject(this.#downError ?? new LosError("LOS_E_DEVICE_DISCONNECTED", `not connected to ${this.#key}`));
    const p: Pending = { fc, address, quantity, value, values, tid: 0, unitId, deadline: 0, resolve: noop, reject: noop };
    const bad = Number.isInteger(unitId) && unitId >= 0 && unitId <= 255 ? checkRequest(p) : `unit id ${unitId} is not in 0..255`;
    if (bad) return Promise.reject(new LosError("LOS_E_REQUEST_INVALID", `Modbus request to ${this.#key}: ${bad}`, { details: this.#ctx(p) }));
    const promise = new Promise<unknown>((resolve, reject) => {
      p.resolve = resolve;
      p.reject = reject;
    });
    if (this.#inFlight.size < this.#maxInFlight) this.#send(p);
    else this.#waiting.push(p);
    return promise;
  }

  #send(p: Pending): void {
    let tid = this.#nextTid;
    while (this.#inFlight.has(tid)) tid = (tid + 1) & 0xffff;
    this.#nextTid = (tid + 1) & 0xffff;
    p.tid = tid;
    if (this.#expired) this.#expired[tid >> 3]! &= ~(1 << (tid & 7));
    const pduBytes = requestBytes(p);
    const at = this.#writer.reserve(MBAP_HEADER_BYTES + pduBytes);
    writeMbapHeader(this.#writer.buffer, at, tid, p.unitId, pduBytes);
    encodeRequest(this.#writer.buffer, at + MBAP_HEADER_BYTES, p);
    p.deadline = this.#clock.monotonic() + this.#timeoutMs;
    this.#inFlight.set(tid, p);
    this.#requests++;
    if (!this.#timer) this.#arm(this.#timeoutMs);
  }

  /** Send waiting requests while there is room on the wire. */
  #pump(): void {
    while (this.#open && this.#waiting.length > 0 && this.#inFlight.size < this.#maxInFlight) this.#send(this.#waiting.shift()!);
  }

  // ---------------------------------------------------------------- receiving

  readonly #onData = (chunk: Buffer): void => {
    const broken = this.#reader.feed(chunk, this.#onFrame);
    if (broken) this.#lose(this.#badFrame(broken, undefined));
  };

  readonly #onFrame: FrameHandler = (tid, unitId, buf, start, end) => {
    const p = this.#inFlight.get(tid);
    if (!p) {
      if (this.#expired && this.#expired[tid >> 3]! & (1 << (tid & 7))) {
        this.#expired[tid >> 3]! &= ~(1 << (tid & 7));
        this.#late++;
        return true;
      }
      this.#lose(this.#badFrame(`answer with transaction id ${tid}, which no request is waiting for`, undefined));
      return false;
    }
    if (unitId !== p.unitId) {
      this.#lose(this.#badFrame(`answer from unit ${unitId} to a request for unit ${p.unitId}`, p), p);
      return false;
    }
    if (buf[start] === (p.fc | 0x80)) {
      if (end - start !== 2) {
        this.#lose(this.#badFrame(`exception answer of ${end - start} bytes, expected 2`, p), p);
        return false;
      }
      this.#settle(p, exceptionError(buf[start + 1]!, this.#ctx(p)), undefined);
      return true;
    }
    let data: unknown;
    try {
      data = decodeResponse(p, buf, start, end);
    } catch (err) {
      if (!(err instanceof PduError)) throw err;
      this.#lose(this.#badFrame(err.message, p, err), p);
      return false;
    }
    this.#settle(p, undefined, data);
    return true;
  };

  #settle(p: Pending, err: LosError | undefined, data: unknown): void {
    this.#inFlight.delete(p.tid);
    if (err) p.reject(err);
    else p.resolve(data);
    this.#pump();
  }

  // ---------------------------------------------------------------- timeouts and loss

  #arm(ms: number): void {
    this.#timer = this.#clock.setTimeout(this.#onTimer, ms);
    this.#timer.unref?.();
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    if (!this.#open) return;
    const now = this.#clock.monotonic();
    for (const p of this.#inFlight.values()) {
      if (p.deadline > now) break;
      if (this.#reader.buffered > 0) {
        // Bytes came that never made a whole frame: garbage or a short frame; the stream is out of step.
        this.#lose(this.#badFrame(`bytes arrived but no whole answer within ${this.#timeoutMs} ms`, p), p);
        return;
      }
      this.#inFlight.delete(p.tid);
      (this.#expired ??= new Uint8Array(8192))[p.tid >> 3]! |= 1 << (p.tid & 7);
      p.reject(new LosError("LOS_E_DEVICE_TIMEOUT", `no answer within ${this.#timeoutMs} ms from unit ${p.unitId} at ${this.#key}`, { details: this.#ctx(p) }));
    }
    this.#pump();
    const oldest = this.#inFlight.values().next();
    if (!oldest.done && !this.#timer) this.#arm(Math.max(1, Math.ceil(oldest.value.deadline - now)));
  };

  /** The connection failed by itself: fail its requests, close it, tell the owner. */
  #lose(err: LosError, culprit?: Pending): void {
    if (!this.#open) return;
    this.#log.debug({ code: err.code, err: err.message }, "modbus tcp connection lost");
    this.#shutdown(err, culprit);
    try {
      this.#onLost?.(err);
    } catch (e) {
      this.#log.error({ err: String(e) }, "onLost threw");
    }
  }

  /** `culprit` (if any) gets `reason`; everything else in flight or waiting was cut by the loss. */
  #shutdown(reason: LosError, culprit: Pending | undefined): void {
    this.#open = false;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#writer.discard();
    this.#reader.reset();
    const cut =
      culprit === undefined || reason.code === "LOS_E_DEVICE_DISCONNECTED"
        ? reason
        : new LosError("LOS_E_DEVICE_DISCONNECTED", `connection to ${this.#key} rebuilt after: ${reason.message}`, { cause: reason });
    this.#downError =
      reason.code === "LOS_E_DEVICE_DISCONNECTED" || reason.code === "LOS_E_DRIVER_CLOSED"
        ? reason
        : new LosError("LOS_E_DEVICE_DISCONNECTED", `connection to ${this.#key} closed after: ${reason.message}`, { cause: reason });
    const pending = [...this.#inFlight.values(), ...this.#waiting];
    this.#inFlight.clear();
    this.#waiting.length = 0;
    for (const p of pending) p.reject(p === culprit ? reason : cut);
    this.#socket.destroy();
  }

  #badFrame(why: string, p: Pending | undefined, cause?: unknown): LosError {
    return new LosError("LOS_E_DEVICE_BAD_FRAME", `bad answer from ${this.#key}: ${why}`, { cause, details: p ? this.#ctx(p) : { key: this.#key } });
  }

  #ctx(p: Pending): TranslateContext {
    return { unitId: p.unitId, fc: p.fc, address: p.address, count: p.quantity, key: this.#key };
  }
}

function noop(): void {}
