/**
 * A device on a streaming serial port (lines, NMEA, binary frames): the channel hands it every
 * record cut from the port; it takes its points out (point-locator.ts) and reports them by
 * exception. Available once valid data arrives; unavailable when the port is gone (with the port's
 * code) or when nothing valid arrived for `staleMs` (LOS_E_DEVICE_TIMEOUT), with one bad reading
 * per point; available again with the next valid record. One timer per device, re-armed lazily.
 */
import type { TimerHandle } from "../../core/clock.js";
import { LosError, isLosError } from "../../core/errors.js";
import type { DeviceStatusPayload } from "../../core/topics.js";
import { pointId, type Reading, type Value } from "../../core/types.js";
import type { PointDef } from "../../config/profile-schema.js";
import type { AttachedDevice } from "../protocol.js";
import { ExceptionReporter } from "../report-by-exception.js";
import { compileLocator, type PointLocator } from "./point-locator.js";
import type { SerialDeviceOptions } from "./serial-device-options.js";
import type { SerialRecord } from "./serial-record.js";
import { DEFAULT_STALE_MS, type SerialDeviceStats } from "./serial-stats.js";

/** A streamed device needs nothing beyond what every serial device has. */
export type StreamDeviceOptions = SerialDeviceOptions;

export class StreamDevice implements AttachedDevice {
  readonly address: string;
  readonly #o: StreamDeviceOptions;
  readonly #locators: PointLocator[];
  readonly #reporter: ExceptionReporter;
  readonly #staleMs: number;
  #running = false;
  #available: boolean | undefined;
  #lastValidAt = 0;
  #timer: TimerHandle | undefined;
  #startedAt = 0;
  #stats = { cycles: 0, records: 0, pointsRead: 0, readingsEmitted: 0, consecutiveFailures: 0 };

  constructor(o: StreamDeviceOptions) {
    this.#o = o;
    this.address = o.address;
    const { profile } = o;
    this.#locators = profile.points.map((p) => compileLocator(profile.framing, p));
    this.#reporter = new ExceptionReporter(
      profile.points.map((p) => pointId(o.deviceId, p.name)),
      profile.points.map((p) => p.deadband ?? 0),
      profile.defaults?.refreshMs,
    );
    this.#staleMs = profile.defaults?.staleMs ?? DEFAULT_STALE_MS;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#startedAt = this.#o.clock.monotonic();
    this.#lastValidAt = this.#startedAt;
    const err = this.#o.portError();
    if (err) this.portDown(err);
    this.#arm(this.#staleMs);
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  write(point: PointDef): Promise<void> {
    return Promise.reject(new LosError("LOS_E_WRITE_READ_ONLY", `${point.name}: a ${this.#o.profile.framing.kind} serial device only sends`));
  }

  /** One valid record from the port. */
  onRecord(record: SerialRecord): void {
    if (!this.#running) return;
    const clock = this.#o.clock;
    const now = clock.monotonic();
    const ts = clock.now();
    this.#lastValidAt = now;
    const out: Reading[] = [];
    if (this.#available !== true) {
      this.#available = true;
      this.#stats.consecutiveFailures = 0;
      this.#status({ available: true, ts });
    }
    let carried = false;
    for (let i = 0; i < this.#locators.length; i++) {
      let value: Value | undefined;
      let error: Error | undefined;
      try {
        value = this.#locators[i]!(record);
        if (value === undefined) continue;
      } catch (err) {
        error = isLosError(err) ? err : new LosError("LOS_E_DEVICE_BAD_FRAME", String(err), { cause: err });
      }
      carried = true;
      if (!error) this.#stats.pointsRead++;
      this.#reporter.consider(i, value ?? null, error, now, ts, out);
    }
    if (carried) {
      this.#stats.records++;
      this.#stats.cycles++;
    }
    this.#emit(out);
  }

  /** The port closed or could not be opened: unavailable now, every point bad with its code. */
  portDown(err: LosError): void {
    if (!this.#running) return;
    this.#unavailable(err);
  }

  stats(): SerialDeviceStats {
    const elapsedS = (this.#o.clock.monotonic() - this.#startedAt) / 1000;
    return {
      ...this.#o.counters(),
      ...this.#stats,
      timeouts: 0,
      available: this.#available,
      pointsPerSecond: elapsedS > 0 ? this.#stats.pointsRead / elapsedS : 0,
    };
  }

  #unavailable(err: LosError): void {
    this.#stats.consecutiveFailures++;
    if (this.#available === false) return;
    this.#available = false;
    const clock = this.#o.clock;
    const now = clock.monotonic();
    const ts = clock.now();
    this.#status({ available: false, ts, error: err.code, message: err.message });
    const out: Reading[] = [];
    for (let i = 0; i < this.#locators.length; i++) this.#reporter.consider(i, null, err, now, ts, out);
    this.#emit(out);
  }

  #arm(ms: number): void {
    if (!this.#running) return;
    this.#timer = this.#o.clock.setTimeout(() => this.#check(), Math.max(1, ms));
    this.#timer.unref?.();
  }

  #check(): void {
    this.#timer = undefined;
    if (!this.#running) return;
    const idle = this.#o.clock.monotonic() - this.#lastValidAt;
    if (idle >= this.#staleMs) {
      this.#unavailable(new LosError("LOS_E_DEVICE_TIMEOUT", `nothing valid from the device for ${Math.round(idle)} ms (staleMs ${this.#staleMs})`));
      this.#lastValidAt = this.#o.clock.monotonic();
      this.#arm(this.#staleMs);
    } else this.#arm(this.#staleMs - idle);
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
