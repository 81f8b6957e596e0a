/**
 * A polled temperature/humidity/pressure sensor with an ASCII command protocol. Requests and
 * replies are single lines; requests may end in CR, LF or CR LF, replies end in CR LF. Commands are
 * case-insensitive:
 *
 *   ID?            -> LLMAGENTOS,SIM-THP,<serial>,1.0
 *   READ?          -> T=21.53;H=45.2;P=1013.2   (latest sample: degC, %RH, hPa)
 *   RATE?          -> RATE=<n>                  (samples per second)
 *   SET RATE <n>   -> OK                        (n integer 1..100, else ERR bad value)
 *   anything else  -> ERR unknown command
 *
 * With an RS-485 `address` (1..99), a request must start with the two-digit address and a colon
 * (`07:READ?`) and the reply carries the same prefix (`07:T=…`); requests without it or for
 * another address are ignored, as another device on the bus would answer them.
 */
import { EnvSensorModel, type EnvReading, type EnvSensorOptions } from "../models/env-sensor.js";
import { lineMessage, type RespondingDevice, type SerialMessage } from "./serial-message.js";

export interface CommandSensorOptions extends EnvSensorOptions {
  /** RS-485 address 1..99 (default: none, every request is answered). */
  address?: number;
  /** Samples per second at start (default 1). */
  rate?: number;
}

const MAX_RATE = 100;

export class CommandSensorDevice implements RespondingDevice {
  readonly kind = "command";
  readonly model: EnvSensorModel;
  readonly address: number | undefined;
  readonly serial: string;
  #rate: number;
  #sinceSampleMs = 0;
  #sample: EnvReading;

  constructor(options: CommandSensorOptions = {}) {
    if (options.address !== undefined && !(Number.isInteger(options.address) && options.address >= 1 && options.address <= 99)) {
      throw new RangeError(`address must be an integer 1..99, got ${options.address}`);
    }
    this.model = new EnvSensorModel(options);
    this.address = options.address;
    this.serial = `SN${String(options.seed ?? 1).padStart(6, "0")}`;
    this.#rate = options.rate ?? 1;
    this.#sample = this.model.read();
  }

  get rate(): number {
    return this.#rate;
  }

  /** Advance the air; a new sample is taken every 1/rate seconds. */
  step(dtMs: number): void {
    if (!(dtMs > 0)) return;
    this.model.step(dtMs);
    this.#sinceSampleMs += dtMs;
    const interval = 1000 / this.#rate;
    if (this.#sinceSampleMs >= interval) {
      this.#sinceSampleMs %= interval;
      this.#sample = this.model.read();
    }
  }

  answer(request: string): SerialMessage | undefined {
    let text = request.trim();
    let prefix = "";
    if (this.address !== undefined) {
      const m = /^(\d{2}):(.*)$/.exec(text);
      if (!m || Number(m[1]) !== this.address) return undefined;
      prefix = `${m[1]}:`;
      text = (m[2] as string).trim();
    }
    if (text === "") return undefined;
    return lineMessage(prefix + this.#reply(text.toUpperCase()));
  }

  snapshot(): Record<string, unknown> {
    return { ...this.#sample, rate: this.#rate, address: this.address ?? null, serial: this.serial };
  }

  #reply(command: string): string {
    if (command === "ID?") return `LLMAGENTOS,SIM-THP,${this.serial},1.0`;
    if (command === "READ?") {
      const s = this.#sample;
      return `T=${s.temperatureC.toFixed(2)};H=${s.humidityRh.toFixed(1)};P=${s.pressureHpa.toFixed(1)}`;
    }
    if (command === "RATE?") return `RATE=${this.#rate}`;
    const set = /^SET\s+RATE\s+(\S+)$/.exec(command);
    if (set) {
      const n = /^\d+$/.test(set[1] as string) ? Number(set[1]) : NaN;
      if (!(n >= 1 && n <= MAX_RATE)) return "ERR bad value";
      this.#rate = n;
      return "OK";
    }
    return "ERR unknown command";
  }
}

/** Splits a byte stream into request lines at CR, LF or CR LF; caps a runaway line. */
export class RequestLineBuffer {
  #text = "";
  readonly #maxLength: number;

  constructor(maxLength = 256) {
    this.#maxLength = maxLength;
  }

  push(chunk: Buffer): string[] {
    this.#text += chunk.toString("latin1");
    const parts = this.#text.split(/\r\n|\r|\n/);
    this.#text = parts.pop() ?? "";
    // A line with no end in sight is noise; drop it rather than grow forever.
    if (this.#text.length > this.#maxLength) this.#text = "";
    return parts.filter((line) => line.length > 0);
  }
}
