/**
 * Modbus RTU through modbus-serial (8.0.25) on a serial port. Loaded only by a dynamic import from
 * modbus-transport.ts, so modbus-serial and serialport stay out of a process with no RTU connection.
 *
 * modbus-serial reports an answer that never parsed (garbage, a short frame) as a timeout; bytes seen
 * on the port during the request tell that apart from silence. Its buffered RTU port keeps leftovers
 * of a failed answer in `_port._buffer`, which would corrupt the next one: cleared before each request.
 */
import ModbusRTU from "modbus-serial";
import { LosError } from "../../core/errors.js";
import type { ModbusRtuConnection } from "../../config/connection-schema.js";
import { translateModbusError, type TranslateContext } from "./modbus-errors.js";
import type { ModbusTransport, TransportOptions } from "./modbus-transport.js";

type Callback<T> = (err: unknown, data?: T) => void;

/** The parts of modbus-serial's RTU port we touch, all optional and guarded. */
interface RtuInternals {
  _port?: {
    _client?: { on?: (ev: string, fn: (...a: unknown[]) => void) => void };
    _buffer?: Buffer;
    on?: (ev: string, fn: (...a: unknown[]) => void) => void;
  };
}

/** Open the serial port; rejects with LOS_E_DEVICE_DISCONNECTED when it cannot be opened. */
export async function openRtuTransport(c: ModbusRtuConnection, o: TransportOptions): Promise<ModbusTransport> {
  const client = new ModbusRTU();
  client.setTimeout(o.timeoutMs);
  const internals = client as unknown as RtuInternals;
  // errors may come before the transport exists: keep the first for it
  const state: { transport?: RtuTransport; early?: LosError } = {};
  const onError = (err: unknown): void => {
    const e = translateModbusError(err, { key: o.key });
    if (state.transport) state.transport.lose(e);
    else state.early ??= e;
  };
  client.on("error", onError);
  try {
    const opening = client.connectRTUBuffered(c.path, {
      baudRate: c.baudRate ?? 9600,
      parity: c.parity ?? "none",
      dataBits: c.dataBits ?? 8,
      stopBits: c.stopBits ?? 1,
    });
    internals._port?.on?.("error", onError);
    await opening;
  } catch (err) {
    await release(client);
    const e = translateModbusError(err, { key: o.key });
    throw e.code === "LOS_E_DEVICE_DISCONNECTED" ? e : new LosError("LOS_E_DEVICE_DISCONNECTED", e.message, { cause: err });
  }
  const transport = new RtuTransport(client, o);
  state.transport = transport;
  const raw = internals._port?._client;
  raw?.on?.("data", (chunk: unknown) => transport.countRx(chunk));
  const onClose = (): void => transport.lose(new LosError("LOS_E_DEVICE_DISCONNECTED", `serial port ${o.key} closed`));
  raw?.on?.("close", onClose);
  raw?.on?.("error", onError);
  client.on("close", onClose);
  if (state.early) transport.lose(state.early);
  return transport;
}

class RtuTransport implements ModbusTransport {
  readonly #client: ModbusRTU;
  readonly #o: TransportOptions;
  readonly #inFlight = new Set<(err: LosError) => void>();
  #open = true;
  #rxBytes = 0;

  constructor(client: ModbusRTU, o: TransportOptions) {
    this.#client = client;
    this.#o = o;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  countRx(chunk: unknown): void {
    if (Buffer.isBuffer(chunk)) this.#rxBytes += chunk.length;
  }

  async readBits(unitId: number, fc: 1 | 2, address: number, count: number): Promise<boolean[]> {
    const ctx = { unitId, fc, address, count };
    const r = await this.#call<{ data: boolean[] }>(ctx, (c, cb) => (fc === 1 ? c.writeFC1(unitId, address, count, cb) : c.writeFC2(unitId, address, count, cb)));
    return r.data.length > count ? r.data.slice(0, count) : r.data; // bit reads come back padded to whole bytes
  }

  async readRegisters(unitId: number, fc: 3 | 4, address: number, count: number): Promise<number[]> {
    const ctx = { unitId, fc, address, count };
    const r = await this.#call<{ data: number[] }>(ctx, (c, cb) => (fc === 3 ? c.writeFC3(unitId, address, count, cb) : c.writeFC4(unitId, address, count, cb)));
    return r.data;
  }

  async writeCoil(unitId: number, address: number, on: boolean): Promise<void> {
    await this.#call({ unitId, fc: 5, address, count: 1 }, (c, cb) => c.writeFC5(unitId, address, on, cb));
  }

  async writeRegister(unitId: number, address: number, value: number): Promise<void> {
    await this.#call({ unitId, fc: 6, address, count: 1 }, (c, cb) => c.writeFC6(unitId, address, value, cb));
  }

  async writeCoils(unitId: number, address: number, values: readonly boolean[]): Promise<void> {
    await this.#call({ unitId, fc: 15, address, count: values.length }, (c, cb) => c.writeFC15(unitId, address, [...values], cb));
  }

  async writeRegisters(unitId: number, address: number, values: readonly number[]): Promise<void> {
    await this.#call({ unitId, fc: 16, address, count: values.length }, (c, cb) => c.writeFC16(unitId, address, [...values], cb));
  }

  /** The port failed by itself: fail what is in flight, release it, tell the owner (once). */
  lose(err: LosError): void {
    if (!this.#open) return;
    this.#open = false;
    const down = err.code === "LOS_E_DEVICE_DISCONNECTED" ? err : new LosError("LOS_E_DEVICE_DISCONNECTED", `reconnecting after: ${err.message}`, { cause: err });
    for (const fail of [...this.#inFlight]) fail(down);
    void release(this.#client);
    this.#o.onLost(err);
  }

  async close(reason: LosError): Promise<void> {
    this.#open = false;
    for (const fail of [...this.#inFlight]) fail(reason);
    await release(this.#client);
  }

  #call<T>(details: TranslateContext, call: (client: ModbusRTU, cb: Callback<T>) => void): Promise<T> {
    const ctx: TranslateContext = { ...details, key: this.#o.key };
    if (!this.#open) return Promise.reject(new LosError("LOS_E_DEVICE_DISCONNECTED", `serial port ${this.#o.key} is not open`, { details: ctx }));
    const port = (this.#client as unknown as RtuInternals)._port;
    if (port && Buffer.isBuffer(port._buffer)) port._buffer = Buffer.alloc(0); // drop leftovers of an earlier, failed answer
    const rx0 = this.#rxBytes;
    const clock = this.#o.clock;
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const finish = (err: LosError | undefined, data?: T): void => {
        if (done) return;
        done = true;
        clock.clearTimeout(guard);
        this.#inFlight.delete(finish);
        if (err) reject(this.#classify(err, this.#rxBytes > rx0));
        else resolve(data as T);
      };
      // Backstop in case the library never calls back; its own timeout normally fires first.
      const guard = clock.setTimeout(
        () => finish(new LosError("LOS_E_DEVICE_TIMEOUT", `no answer within ${this.#o.timeoutMs} ms`, { details: ctx })),
        this.#o.timeoutMs + 1000,
      );
      guard.unref?.();
      this.#inFlight.add(finish);
      try {
        call(this.#client, (err, data) => finish(err ? translateModbusError(err, ctx) : undefined, data));
      } catch (err) {
        finish(translateModbusError(err, ctx));
      }
    });
  }

  #classify(err: LosError, bytesArrived: boolean): LosError {
    let e = err;
    if (e.code === "LOS_E_DEVICE_TIMEOUT" && bytesArrived) {
      // Something came back, but never a frame the library could accept: garbage or a short frame.
      e = new LosError("LOS_E_DEVICE_BAD_FRAME", `bytes arrived but no valid answer (${e.message})`, { cause: err, details: err.details });
    }
    if (e.code === "LOS_E_DEVICE_TIMEOUT" && !this.#client.isOpen) {
      e = new LosError("LOS_E_DEVICE_DISCONNECTED", `serial port ${this.#o.key} lost`, { cause: err, details: err.details });
    }
    if (e.code === "LOS_E_DEVICE_DISCONNECTED") this.lose(e);
    return e;
  }
}

/** Close the port without ever throwing or hanging for long. */
function release(client: ModbusRTU): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 2000);
    t.unref();
    const done = (): void => {
      clearTimeout(t);
      resolve();
    };
    try {
      if (client.isOpen) client.close(done);
      else done();
    } catch {
      done();
    }
  });
}
