/**
 * A command/response device (optionally one of several on an RS-485 line, told apart by its
 * address): points sharing a command are read with one request, each group every pollMs, all
 * through the port's CommandTransport (one request in flight per bus). An answer matching the
 * framing's errorPattern is a device error (LOS_E_DEVICE_EXCEPTION). After failuresBeforeUnavailable
 * consecutive cycles without any answer the device is unavailable, every point bad with the code;
 * the first answer makes it available again. Writes send `writeCommand` with `{value}` replaced and
 * then re-read the point.
 */
import type { TimerHandle } from "../../core/clock.js";
import { LosError, isLosError } from "../../core/errors.js";
import type { DeviceStatusPayload } from "../../core/topics.js";
import { pointId, type Reading, type Value } from "../../core/types.js";
import type { PointDef, SerialPointDef } from "../../config/profile-schema.js";
import { DEFAULT_POLL_MS } from "../poller.js";
import type { AttachedDevice } from "../protocol.js";
import { ExceptionReporter } from "../report-by-exception.js";
import type { CommandTransport } from "./command-transport.js";
import { scalingOf, textLocator } from "./point-locator.js";
import { unscaled } from "./point-value.js";
import type { SerialDeviceOptions } from "./serial-device-options.js";
import { type SerialDeviceStats } from "./serial-stats.js";

interface Group {
  command: string;
  pollMs: number;
  nextDue: number;
  indexes: number[];
}

export interface CommandDeviceOptions extends SerialDeviceOptions {
  transport: CommandTransport;
  /** request/answer prefix for this device's bus address ("" without address) */
  prefix: string;
  timeoutMs: number;
  failuresBeforeUnavailable: number;
}

export class CommandDevice implements AttachedDevice {
  readonly address: string;
  readonly #o: CommandDeviceOptions;
  readonly #defs: readonly SerialPointDef[];
  readonly #locate: ((text: string) => Value | undefined)[];
  readonly #groups: Group[];
  readonly #reporter: ExceptionReporter;
  readonly #error: RegExp;
  #running = false;
  #timer: TimerHandle | undefined;
  #current: Promise<void> | undefined;
  #available: boolean | undefined;
  #consecutive = 0;
  #startedAt = 0;
  #stats = { cycles: 0, pointsRead: 0, readingsEmitted: 0, timeouts: 0 };

  constructor(o: CommandDeviceOptions) {
    this.#o = o;
    this.address = o.address;
    const { profile } = o;
    this.#defs = profile.points;
    this.#locate = profile.points.map((p) => textLocator(p));
    this.#reporter = new ExceptionReporter(
      profile.points.map((p) => pointId(o.deviceId, p.name)),
      profile.points.map((p) => p.deadband ?? 0),
      profile.defaults?.refreshMs,
    );
    const framing = profile.framing;
    this.#error = new RegExp(framing.kind === "command" && framing.errorPattern !== undefined ? framing.errorPattern : "^ERR");
    const byCommand = new Map<string, Group>();
    profile.points.forEach((p, i) => {
      if (p.command === undefined) return;
      const pollMs = p.pollMs ?? profile.defaults?.pollMs ?? DEFAULT_POLL_MS;
      const g = byCommand.get(p.command);
      if (g) {
        g.indexes.push(i);
        g.pollMs = Math.min(g.pollMs, pollMs);
      } else byCommand.set(p.command, { command: p.command, pollMs, nextDue: 0, indexes: [i] });
    });
    this.#groups = [...byCommand.values()];
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#startedAt = this.#o.clock.monotonic();
    for (const g of this.#groups) g.nextDue = this.#startedAt;
    const err = this.#o.portError();
    if (err) this.#unavailable(err);
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#current;
  }

  async write(point: PointDef, value: Value): Promise<void> {
    const def = point as SerialPointDef;
    if (def.writeCommand === undefined) throw new LosError("LOS_E_WRITE_READ_ONLY", `${point.name} has no writeCommand`);
    const text = def.writeCommand.replaceAll("{value}", formatValue(value, def));
    const answer = await this.#o.transport.request({ text: this.#o.prefix + text, prefix: this.#o.prefix, timeoutMs: this.#o.timeoutMs, priority: "write" });
    if (this.#error.test(answer)) {
      throw new LosError("LOS_E_DEVICE_EXCEPTION", `${point.name}: the device refused "${text}": ${answer.slice(0, 80)}`, { details: { answer } });
    }
    // read the point back soon, so the written value shows without waiting a whole poll
    const now = this.#o.clock.monotonic();
    let moved = false;
    for (const g of this.#groups) {
      if (g.indexes.some((i) => this.#defs[i]!.name === point.name)) {
        g.nextDue = now;
        moved = true;
      }
    }
    if (moved && this.#timer) {
      this.#o.clock.clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#schedule();
    }
  }

  /** The port is gone: unavailable at once (polls would only repeat the code). */
  portDown(err: LosError): void {
    if (this.#running) this.#unavailable(err);
  }

  stats(): SerialDeviceStats {
    const elapsedS = (this.#o.clock.monotonic() - this.#startedAt) / 1000;
    return {
      ...this.#o.counters(),
      ...this.#stats,
      records: this.#stats.cycles,
      available: this.#available,
      consecutiveFailures: this.#consecutive,
      pointsPerSecond: elapsedS > 0 ? this.#stats.pointsRead / elapsedS : 0,
    };
  }

  #schedule(): void {
    if (!this.#running || this.#timer || this.#current) return;
    let next = Infinity;
    for (const g of this.#groups) next = Math.min(next, g.nextDue);
    if (next === Infinity) return;
    const clock = this.#o.clock;
    this.#timer = clock.setTimeout(
      () => {
        this.#timer = undefined;
        this.#current = this.#cycle()
          .catch((err: unknown) => this.#o.logger.error({ err: String(err) }, "serial poll cycle failed unexpectedly"))
          .finally(() => {
            this.#current = undefined;
            this.#schedule();
          });
      },
      Math.max(0, next - clock.monotonic()),
    );
    this.#timer.unref?.();
  }

  async #cycle(): Promise<void> {
    const clock = this.#o.clock;
    const now = clock.monotonic();
    const due = this.#groups.filter((g) => g.nextDue <= now);
    for (const g of due) g.nextDue = Math.max(g.nextDue + g.pollMs, now);
    const results = await Promise.all(due.map((g) => this.#ask(g.command)));
    if (!this.#running) return;
    this.#stats.cycles++;
    const ts = clock.now();
    const at = clock.monotonic();
    const out: Reading[] = [];
    let answered = 0;
    let firstError: LosError | undefined;
    const failed: [Group, LosError][] = [];
    due.forEach((g, k) => {
      const r = results[k]!;
      if (r instanceof LosError) {
        if (r.code === "LOS_E_DEVICE_TIMEOUT") this.#stats.timeouts++;
        if (r.code === "LOS_E_DEVICE_BUSY" || r.code === "LOS_E_DRIVER_CLOSED") return;
        firstError ??= r;
        failed.push([g, r]);
        return;
      }
      answered++;
      for (const i of g.indexes) this.#point(i, r, at, ts, out);
    });
    if (answered > 0) {
      // the device is there: the commands it did not answer are bad on their own
      for (const [g, err] of failed) for (const i of g.indexes) this.#reporter.consider(i, null, err, at, ts, out);
      this.#consecutive = 0;
      if (this.#available !== true) {
        this.#available = true;
        this.#status({ available: true, ts, ...(this.#o.transport.latencyMs !== undefined ? { latencyMs: this.#o.transport.latencyMs } : {}) });
      }
    } else if (firstError) {
      this.#consecutive++;
      if (this.#consecutive >= this.#o.failuresBeforeUnavailable) this.#unavailable(firstError);
    }
    this.#emit(out);
  }

  #point(i: number, answer: string, now: number, ts: number, out: Reading[]): void {
    const def = this.#defs[i]!;
    let value: Value | undefined;
    let error: LosError | undefined;
    if (this.#error.test(answer)) {
      error = new LosError("LOS_E_DEVICE_EXCEPTION", `${def.name}: the device answered "${answer.slice(0, 80)}" to ${def.command}`);
    } else {
      try {
        value = this.#locate[i]!(answer);
        if (value === undefined) error = new LosError("LOS_E_DEVICE_BAD_FRAME", `${def.name}: the answer "${answer.slice(0, 80)}" does not match ${def.regex}`);
      } catch (err) {
        error = isLosError(err) ? err : new LosError("LOS_E_DEVICE_BAD_FRAME", String(err), { cause: err });
      }
    }
    if (!error) this.#stats.pointsRead++;
    this.#reporter.consider(i, error ? null : value!, error, now, ts, out);
  }

  async #ask(command: string): Promise<string | LosError> {
    try {
      return await this.#o.transport.request({
        text: this.#o.prefix + command,
        prefix: this.#o.prefix,
        timeoutMs: this.#o.timeoutMs,
        priority: "poll",
        key: `${this.#o.prefix}${command}`,
      });
    } catch (err) {
      return isLosError(err) ? err : new LosError("LOS_E_INTERNAL", String(err), { cause: err });
    }
  }

  #unavailable(err: LosError): void {
    if (this.#available === false) return;
    this.#available = false;
    const clock = this.#o.clock;
    const ts = clock.now();
    const now = clock.monotonic();
    this.#status({ available: false, ts, error: err.code, message: err.message });
    const out: Reading[] = [];
    for (let i = 0; i < this.#defs.length; i++) this.#reporter.consider(i, null, err, now, ts, out);
    this.#emit(out);
  }

  #emit(out: Reading[]): void {
    if (out.length === 0) return;
    this.#stats.readingsEmitted += out.length;
    this.#o.sink.onReadings(this.#o.deviceId, out);
  }

  #status(status: DeviceStatusPayload): void {
    this.#o.sink.onStatus(this.#o.deviceId, status);
  }
}

/** The text a value is sent as: booleans 1/0, numbers unscaled (integers without decimals). */
export function formatValue(value: Value, def: SerialPointDef): string {
  if (typeof value === "boolean") return value ? "1" : "0";
  if (typeof value === "string") return value;
  const raw = unscaled(value, scalingOf(def));
  return Number.isInteger(raw) ? String(raw) : String(Number(raw.toPrecision(12)));
}
