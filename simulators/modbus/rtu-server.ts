/**
 * A Modbus RTU slave on a serial port (a real UART or one end of a socat pty pair): one bus, any
 * number of unit ids. Frames are found by length and CRC (see rtu-framing.ts), not by silences.
 * Like a real slave it ignores frames for other unit ids and frames with a bad CRC, executes
 * broadcast writes (unit id 0) without answering, and applies injected faults.
 */
import { SerialPort } from "serialport";
import { LosError } from "../../src/core/errors.js";
import { systemClock, type Clock, type TimerHandle } from "../../src/core/clock.js";
import { appendCrc } from "./crc16.js";
import type { FaultInjector } from "./faults.js";
import type { RegisterBank } from "./register-bank.js";
import { RtuRequestParser } from "./rtu-framing.js";
import { emptyStats, UnitRouter, type ServerStats, type SlaveAction } from "./unit-router.js";

export interface ModbusRtuServerOptions {
  /** Serial device path, e.g. /dev/ttyUSB0 or a pty link from `createPtyPair`. */
  path: string;
  /** Units on this bus, by unit id (read live). */
  banks: ReadonlyMap<number, RegisterBank>;
  /** Default 9600; a pty ignores it. */
  baudRate?: number;
  faults?: FaultInjector;
  /** Clock for `slow` fault delays (default systemClock). */
  clock?: Clock;
  /**
   * Real-time ms of line idleness after which leftover bytes that never formed a frame are
   * discarded (recovery from noise only; frames are not delimited by time). Default 50.
   */
  resyncIdleMs?: number;
}

export class ModbusRtuServer {
  readonly #port: SerialPort;
  readonly #router: UnitRouter;
  readonly #banks: ReadonlyMap<number, RegisterBank>;
  readonly #clock: Clock;
  readonly #parser = new RtuRequestParser();
  readonly #resyncIdleMs: number;
  readonly #pending = new Set<TimerHandle>();
  readonly #stats: ServerStats = emptyStats();
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  private constructor(port: SerialPort, options: ModbusRtuServerOptions) {
    this.#port = port;
    this.#banks = options.banks;
    this.#router = new UnitRouter(options.banks, options.faults);
    this.#clock = options.clock ?? systemClock;
    this.#resyncIdleMs = options.resyncIdleMs ?? 50;
    port.on("data", (chunk: Buffer) => this.#receive(chunk));
    port.on("error", () => {
      // A vanished pty or unplugged adapter ends the bus; close() still works.
    });
  }

  /** Open the serial port; rejects with LOS_E_SIM_START when it cannot be opened. */
  static async start(options: ModbusRtuServerOptions): Promise<ModbusRtuServer> {
    const port = new SerialPort({ path: options.path, baudRate: options.baudRate ?? 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) =>
      port.open((err) =>
        err
          ? reject(new LosError("LOS_E_SIM_START", `Modbus RTU simulator cannot open ${options.path}: ${err.message}`, { cause: err }))
          : resolve(),
      ),
    );
    return new ModbusRtuServer(port, options);
  }

  get path(): string {
    return this.#port.path;
  }

  get stats(): Readonly<ServerStats> {
    return { ...this.#stats, badFrames: this.#parser.badFrames, delayed: this.#pending.size };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    for (const handle of this.#pending) this.#clock.clearTimeout(handle);
    this.#pending.clear();
    if (!this.#port.isOpen) return;
    await new Promise<void>((resolve) => this.#port.close(() => resolve()));
  }

  #receive(chunk: Buffer): void {
    if (this.#closed) return;
    for (const frame of this.#parser.push(chunk)) this.#request(frame);
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    if (this.#parser.pending > 0) {
      this.#idleTimer = setTimeout(() => {
        this.#idleTimer = undefined;
        if (!this.#closed) for (const frame of this.#parser.flush()) this.#request(frame);
      }, this.#resyncIdleMs);
      this.#idleTimer.unref();
    }
  }

  #request(frame: Buffer): void {
    this.#stats.requests++;
    const unitId = frame[0] as number;
    const pdu = Buffer.from(frame.subarray(1, frame.length - 2));
    if (unitId === 0) {
      if (this.#router.broadcast(pdu)) this.#stats.broadcasts++;
      return;
    }
    const bank = this.#banks.get(unitId);
    if (!bank) {
      this.#stats.otherUnit++;
      return;
    }
    this.#send(unitId, this.#router.handle(unitId, bank, pdu));
  }

  #send(unitId: number, action: SlaveAction): void {
    switch (action.type) {
      case "silent":
      case "drop":
        return;
      case "garbage":
        this.#write(action.bytes);
        return;
      case "reply": {
        const frame = encodeFrame(unitId, action.pdu, action.damage);
        if (action.delayMs <= 0) {
          this.#write(frame);
          return;
        }
        const handle = this.#clock.setTimeout(() => {
          this.#pending.delete(handle);
          this.#write(frame);
        }, action.delayMs);
        handle.unref?.();
        this.#pending.add(handle);
      }
    }
  }

  #write(bytes: Buffer): void {
    if (this.#closed || !this.#port.isOpen) return;
    this.#stats.replies++;
    this.#port.write(bytes);
  }
}

/** Start a Modbus RTU simulator on a serial port path. */
export function startModbusRtuServer(options: ModbusRtuServerOptions): Promise<ModbusRtuServer> {
  return ModbusRtuServer.start(options);
}

/** Address + PDU + CRC; `bad-crc` flips the CRC's bits, `truncated` sends the first half only. */
function encodeFrame(unitId: number, pdu: Buffer, damage: "bad-crc" | "truncated" | undefined): Buffer {
  const frame = appendCrc(Buffer.concat([Buffer.from([unitId]), pdu]));
  if (damage === "bad-crc") {
    frame[frame.length - 1] = (frame[frame.length - 1] as number) ^ 0xff;
    frame[frame.length - 2] = (frame[frame.length - 2] as number) ^ 0xff;
  }
  if (damage === "truncated") return frame.subarray(0, Math.max(2, Math.floor(frame.length / 2)));
  return frame;
}
