/**
 * The simulator's end of the cable: a serial port (a given path, or the `a` end of a socat pty pair
 * it makes itself), writes paced to the baud rate, and the cable being pulled and plugged back.
 * With a pty pair, unplug closes the port and stops socat, so both links vanish and the driver's
 * port closes; replug makes a new pair at the same link paths. With a given path, unplug only
 * closes the simulator's port (the device goes silent; the path stays).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SerialPort } from "serialport";
import type { Clock } from "../../src/core/clock.js";
import { LosError } from "../../src/core/errors.js";
import { createPtyPair, type PtyPair } from "./pty-pair.js";
import { closeSimulatorPort, openSimulatorPort } from "./serial-port-io.js";
import { WirePacer } from "./wire-pacer.js";

export interface SerialLineOptions {
  /** Serve on this port (exclusive with `pty`). */
  path?: string;
  /** Make a pty pair and serve on its `a` end; the driver opens `b`. */
  pty?: boolean;
  /** Where the pty links go (default: a new temporary directory, removed on close). */
  ptyDir?: string;
  baudRate: number;
  /** Limit writes to baudRate/10 bytes per second (default true). */
  pace: boolean;
  clock: Clock;
  onData: (chunk: Buffer) => void;
  /** Called when everything sent so far is on the wire (paced) or written (unpaced). */
  onDrain?: () => void;
}

export class SerialLine {
  /** The path the driver should open. */
  readonly path: string;
  readonly #options: SerialLineOptions;
  readonly #pacer: WirePacer | undefined;
  readonly #dir: string | undefined;
  readonly #ownDir: boolean;
  #pair: PtyPair | undefined;
  #port: SerialPort | undefined;
  #written = 0;
  #inFlight = 0;
  #closed = false;

  private constructor(options: SerialLineOptions, path: string, dir: string | undefined, ownDir: boolean) {
    this.#options = options;
    this.path = path;
    this.#dir = dir;
    this.#ownDir = ownDir;
    this.#pacer = options.pace ? new WirePacer({ baudRate: options.baudRate, clock: options.clock, sink: (chunk) => this.#emit(chunk), onDrain: options.onDrain }) : undefined;
  }

  static async open(options: SerialLineOptions): Promise<SerialLine> {
    if (options.pty && options.path !== undefined) throw new LosError("LOS_E_SIM_START", "give either a serial path or pty: true, not both");
    if (!options.pty && options.path === undefined) throw new LosError("LOS_E_SIM_START", "a serial simulator needs a path to serve on, or pty: true to make a pty pair");
    if (!(Number.isInteger(options.baudRate) && options.baudRate > 0)) throw new LosError("LOS_E_SIM_START", `baud rate must be a positive integer, got ${options.baudRate}`);
    if (!options.pty) {
      const line = new SerialLine(options, options.path as string, undefined, false);
      await line.#plug();
      return line;
    }
    const ownDir = options.ptyDir === undefined;
    const dir = options.ptyDir ?? (await mkdtemp(join(tmpdir(), "los-serial-")));
    const line = new SerialLine(options, join(dir, "b"), dir, ownDir);
    try {
      await line.#plug();
    } catch (err) {
      await line.close();
      throw err;
    }
    return line;
  }

  /** The path the simulator itself serves on. */
  get simulatorPath(): string {
    return this.#pair?.a ?? (this.#dir ? join(this.#dir, "a") : this.path);
  }

  get plugged(): boolean {
    return this.#port !== undefined;
  }

  /** Bytes handed to the port. */
  get bytesWritten(): number {
    return this.#written;
  }

  /** Bytes accepted but not yet on the wire (paced) or not yet written (unpaced). */
  get queued(): number {
    return this.#pacer ? this.#pacer.queued : this.#inFlight;
  }

  /** Bytes per second the wire carries (baud/10), or Infinity unpaced. */
  get bytesPerSecond(): number {
    return this.#pacer ? this.#pacer.bytesPerSecond : Infinity;
  }

  /** Resolves when the bytes are on the wire; at once (dropped) while unplugged. */
  send(bytes: Buffer): Promise<void> {
    const port = this.#port;
    if (!port || bytes.length === 0) return Promise.resolve();
    if (this.#pacer) return this.#pacer.write(bytes);
    this.#inFlight += bytes.length;
    this.#written += bytes.length;
    return new Promise((resolve) =>
      port.write(bytes, () => {
        this.#inFlight -= bytes.length;
        resolve();
        if (this.#inFlight === 0 && this.#port === port) this.#options.onDrain?.();
      }),
    );
  }

  async unplug(): Promise<void> {
    const port = this.#port;
    if (!port) return;
    this.#port = undefined;
    this.#pacer?.clear();
    this.#inFlight = 0;
    await closeSimulatorPort(port);
    const pair = this.#pair;
    this.#pair = undefined;
    await pair?.close();
  }

  async replug(): Promise<void> {
    if (this.#closed) throw new LosError("LOS_E_CLOSED", "the serial simulator is closed");
    if (this.#port) return;
    await this.#plug();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.unplug();
    if (this.#ownDir && this.#dir) await rm(this.#dir, { recursive: true, force: true });
  }

  async #plug(): Promise<void> {
    let portPath = this.path;
    if (this.#dir !== undefined) {
      this.#pair = await createPtyPair({ dir: this.#dir });
      portPath = this.#pair.a;
    }
    try {
      const port = await openSimulatorPort(portPath, this.#options.baudRate);
      port.on("data", (chunk: Buffer) => this.#options.onData(chunk));
      this.#port = port;
    } catch (err) {
      await this.#pair?.close();
      this.#pair = undefined;
      throw err;
    }
  }

  #emit(chunk: Buffer): void {
    if (!this.#port?.isOpen) return;
    this.#written += chunk.length;
    this.#port.write(chunk);
  }
}
