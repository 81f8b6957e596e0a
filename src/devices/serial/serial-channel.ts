/**
 * One serial port (`serial://<path>`) and the devices on it. Streaming framings (lines, NMEA,
 * binary) cut the port's bytes into records once and hand each to every attached device; command
 * framing sends each device's commands through one CommandTransport (the port's request queue)
 * and routes answer lines back by address. All devices on a port share its framing: a streaming
 * port carries one framing, a command port one line ending, each device with its own `address`.
 * The port opens through SerialPortLink (reconnect with backoff); losing it makes every device
 * unavailable with the port's code, and data flows again after it comes back.
 */
import { LosError, type ErrorCode } from "../../core/errors.js";
import type { SerialConnection } from "../../config/connection-schema.js";
import type { SerialFraming } from "../../config/serial-profile-schema.js";
import type { DriverError, DriverHealth } from "../driver.js";
import type { AttachedDevice, DeviceChannel, DeviceSink, ProtocolContext, ResolvedDevice } from "../protocol.js";
import { CommandDevice } from "./command-device.js";
import { CommandTransport } from "./command-transport.js";
import { LineSplitter } from "./line-splitter.js";
import { SerialPortLink } from "./serial-port-link.js";
import { DEFAULT_COMMAND_TIMEOUT_MS } from "./serial-stats.js";
import { StreamDecoder, newCounters, type SerialCounters } from "./stream-decoder.js";
import { StreamDevice } from "./stream-device.js";

const DEFAULT_COMMAND_EOL = "\r\n";

export class SerialChannel implements DeviceChannel {
  readonly key: string;
  readonly #conn: SerialConnection;
  readonly #ctx: ProtocolContext;
  readonly #link: SerialPortLink;
  #framing: SerialFraming | undefined;
  #decoder: StreamDecoder | undefined;
  #answers: LineSplitter | undefined;
  #transport: CommandTransport | undefined;
  #streams: StreamDevice[] = [];
  #commands: CommandDevice[] = [];
  #addresses = new Set<string>();
  #portError: LosError | undefined;
  #lastError: DriverError | undefined;
  #counters: SerialCounters = newCounters();

  constructor(connection: SerialConnection, context: ProtocolContext) {
    this.#conn = connection;
    this.#ctx = context;
    this.key = `serial://${connection.path}`;
    const log = context.logger.child({ port: connection.path });
    this.#link = new SerialPortLink({
      connection,
      clock: context.clock,
      logger: log,
      random: context.random,
      events: {
        up: () => {
          this.#portError = undefined;
        },
        data: (chunk) => this.#data(chunk),
        lost: (err) => this.#down(err),
        openFailed: (err) => this.#down(err),
      },
    });
  }

  attach(device: ResolvedDevice, sink: DeviceSink): AttachedDevice {
    const { profile } = device;
    if (profile.protocol !== "serial" || device.connection.type !== "serial") {
      throw new LosError("LOS_E_CONFIG_INVALID", `device ${device.id}: a ${profile.protocol} profile on serial port ${this.#conn.path}`);
    }
    const framing = profile.framing;
    this.#share(device.id, framing);
    const address = device.connection.address;
    const counters = () => this.#countersNow();
    if (framing.kind === "command") {
      const key = address ?? "";
      if (this.#addresses.has(key)) {
        throw new LosError("LOS_E_CONFIG_INVALID", `two command devices on ${this.key} use ${address === undefined ? "no address" : `address ${address}`}`, {
          details: { device: device.id, key: this.key },
        });
      }
      this.#addresses.add(key);
      const prefix = address === undefined ? "" : (framing.addressPrefix ?? "{address}:").replaceAll("{address}", address);
      const d = new CommandDevice({
        deviceId: device.id,
        profile,
        transport: this.#commandTransport(framing),
        prefix,
        address: address === undefined ? "port" : `addr ${address}`,
        timeoutMs: framing.timeoutMs ?? device.connection.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
        failuresBeforeUnavailable: Math.max(1, this.#ctx.failuresBeforeUnavailable ?? 3),
        clock: this.#ctx.clock,
        logger: this.#ctx.logger.child({ device: device.id }),
        sink,
        counters,
        portError: () => this.#portError,
      });
      this.#commands.push(d);
      return d;
    }
    this.#decoder ??= new StreamDecoder(framing, (code, message) => this.#problem(code, message));
    const d = new StreamDevice({
      deviceId: device.id,
      profile,
      address: address === undefined ? "port" : `addr ${address}`,
      clock: this.#ctx.clock,
      logger: this.#ctx.logger.child({ device: device.id }),
      sink,
      counters,
      portError: () => this.#portError,
    });
    this.#streams.push(d);
    return d;
  }

  async open(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return this.close();
    signal.addEventListener("abort", () => void this.close(), { once: true });
    await this.#link.open();
  }

  async close(): Promise<void> {
    this.#transport?.close();
    await this.#link.close();
  }

  health(): DriverHealth {
    const t = this.#transport;
    const q = t?.queue.stats();
    const h: DriverHealth = {
      connected: this.#link.connected,
      requests: t?.requests ?? 0,
      failures: t?.failures ?? 0,
      reconnects: this.#link.reconnects,
      dropped: q?.dropped ?? 0,
      coalesced: q?.coalesced ?? 0,
      queued: q?.queued ?? 0,
    };
    if (this.#lastError) h.lastError = this.#lastError;
    if (t?.latencyMs !== undefined) h.latencyMs = t.latencyMs;
    return h;
  }

  /** Every device on a port must cut the stream the same way. */
  #share(deviceId: string, framing: SerialFraming): void {
    const first = this.#framing;
    if (!first) {
      this.#framing = framing;
      return;
    }
    const same =
      first.kind === "command" && framing.kind === "command"
        ? (first.eol ?? DEFAULT_COMMAND_EOL) === (framing.eol ?? DEFAULT_COMMAND_EOL)
        : JSON.stringify(first) === JSON.stringify(framing);
    if (!same) {
      throw new LosError("LOS_E_CONFIG_INVALID", `device ${deviceId}: its ${framing.kind} framing differs from that of the other devices on ${this.key}`, {
        details: { device: deviceId, key: this.key },
      });
    }
  }

  #commandTransport(framing: Extract<SerialFraming, { kind: "command" }>): CommandTransport {
    if (this.#transport) return this.#transport;
    const eol = framing.eol ?? DEFAULT_COMMAND_EOL;
    // answers end in CR LF, LF or the profile's eol: split on its last byte, a trailing CR is dropped
    this.#answers = new LineSplitter({ eol: eol.endsWith("\n") || eol.endsWith("\r") ? eol.slice(-1) : eol });
    this.#transport = new CommandTransport({
      clock: this.#ctx.clock,
      eol,
      interFrameDelayMs: this.#conn.interFrameDelayMs,
      maxQueued: this.#ctx.maxQueued,
      write: (bytes) => this.#link.write(bytes),
      connected: () => this.#link.connected,
      portError: () => this.#portError,
      onError: (err) => this.#problem(err.code, err.message),
    });
    return this.#transport;
  }

  #data(chunk: Buffer): void {
    if (this.#decoder) {
      const records = this.#decoder.push(chunk);
      for (const r of records) for (const d of this.#streams) d.onRecord(r);
      return;
    }
    if (this.#answers && this.#transport) {
      for (const line of this.#answers.push(chunk)) {
        this.#counters.linesParsed++;
        this.#transport.onLine(line);
      }
      this.#counters.badFrames = this.#answers.overlong;
    }
  }

  #down(err: LosError): void {
    this.#portError = err;
    this.#problem(err.code, err.message);
    this.#decoder?.reset();
    this.#answers?.reset();
    this.#transport?.portDown(err);
    for (const d of this.#streams) d.portDown(err);
    for (const d of this.#commands) d.portDown(err);
  }

  #problem(code: ErrorCode, message: string): void {
    this.#lastError = { code, message, ts: this.#ctx.clock.now() };
  }

  #countersNow(): SerialCounters {
    return this.#decoder ? { ...this.#decoder.counters } : { ...this.#counters };
  }
}
