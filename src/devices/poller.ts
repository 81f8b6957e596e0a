/**
 * Poller for one device (one unit id on a connection). Points are grouped by poll interval; at each
 * tick the groups that are due are merged into one read plan (cached per combination of groups) and
 * read through the driver in one batch. Readings are reported by exception (report-by-exception.ts).
 * One `onReadings` call per device per cycle, only when something is to be said.
 *
 * Availability: after `failuresBeforeUnavailable` consecutive cycles in which no block could be read
 * (timeouts, exceptions, bad frames, no connection) the device is unavailable: one status event with
 * the error code, and one `quality: "bad"` reading per point. The first cycle that reads anything
 * makes it available again. A cycle whose polls were all dropped by a full queue counts as neither.
 */
import type { Clock, TimerHandle } from "../core/clock.js";
import { isLosError, type LosError } from "../core/errors.js";
import type { DeviceStatusPayload } from "../core/topics.js";
import { silentLogger, type Logger, type Reading, type Value } from "../core/types.js";
import type { CodecPoint } from "./codec.js";
import type { Driver } from "./driver.js";
import type { DeviceStats } from "./protocol.js";
import { DEFAULT_REFRESH_MS, ExceptionReporter } from "./report-by-exception.js";
import { buildReadPlan, sliceBlock, type ReadPlan } from "./modbus/read-plan.js";

export type DeviceStatus = DeviceStatusPayload;

export interface PolledPoint {
  codec: CodecPoint;
  /** `<deviceId>/<pointName>` */
  id: string;
  pollMs: number;
  deadband: number;
}

export interface PollerOptions {
  deviceId: string;
  unitId: number;
  driver: Pick<Driver, "read">;
  points: readonly PolledPoint[];
  clock: Clock;
  logger?: Logger;
  /** publish unchanged values at least this often (default 60 000 ms) */
  refreshMs?: number;
  /** false: one request per point (benchmark comparison) */
  mergeReads?: boolean;
  maxGap?: number;
  maxBlock?: number;
  /** consecutive failed cycles before the device is unavailable (default 3) */
  failuresBeforeUnavailable?: number;
  onReadings: (deviceId: string, readings: Reading[]) => void;
  onStatus: (deviceId: string, status: DeviceStatus) => void;
}

export interface PollerStats extends DeviceStats {
  /** cycles in which no block could be read */
  failedCycles: number;
  /** cycles whose polls were all dropped by the queue */
  skippedCycles: number;
  /** ticks missed because a cycle took longer than the poll interval */
  overruns: number;
  requests: number;
  lastCycleRequests: number;
}

interface Group {
  pollMs: number;
  nextDue: number;
  indexes: number[];
}

export const DEFAULT_POLL_MS = 1000;

export class DevicePoller {
  readonly deviceId: string;
  #o: PollerOptions;
  #clock: Clock;
  #log: Logger;
  #codec: CodecPoint[];
  #groups: Group[] = [];
  #plans = new Map<string, ReadPlan>();
  #reporter: ExceptionReporter;
  #threshold: number;
  // per-point state in parallel arrays: no per-point objects on the hot path
  #values: (Value | null)[];
  #errors: (Error | undefined)[];
  #available: boolean | undefined;
  #consecutive = 0;
  #running = false;
  #timer: TimerHandle | undefined;
  #current: Promise<void> | undefined;
  #startedAt = 0;
  #readOptions: { coalesce: boolean };
  #stats = { cycles: 0, failedCycles: 0, skippedCycles: 0, overruns: 0, requests: 0, lastCycleRequests: 0, pointsRead: 0, readingsEmitted: 0 };

  constructor(options: PollerOptions) {
    this.#o = options;
    this.deviceId = options.deviceId;
    this.#clock = options.clock;
    this.#log = (options.logger ?? silentLogger).child({ device: options.deviceId });
    this.#codec = options.points.map((p) => p.codec);
    this.#reporter = new ExceptionReporter(
      options.points.map((p) => p.id),
      options.points.map((p) => p.deadband),
      options.refreshMs ?? DEFAULT_REFRESH_MS,
    );
    this.#readOptions = { coalesce: options.mergeReads !== false };
    this.#threshold = Math.max(1, options.failuresBeforeUnavailable ?? 3);
    const n = options.points.length;
    this.#values = new Array<Value | null>(n).fill(null);
    this.#errors = new Array<Error | undefined>(n).fill(undefined);
    const byMs = new Map<number, Group>();
    options.points.forEach((p, i) => {
      let g = byMs.get(p.pollMs);
      if (!g) byMs.set(p.pollMs, (g = { pollMs: p.pollMs, nextDue: 0, indexes: [] }));
      g.indexes.push(i);
    });
    this.#groups = [...byMs.values()].sort((a, b) => a.pollMs - b.pollMs);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#startedAt = this.#clock.monotonic();
    for (const g of this.#groups) g.nextDue = this.#startedAt;
    this.#schedule();
  }

  /** Stop polling; resolves when the cycle in progress (if any) has finished. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#current;
  }

  get available(): boolean | undefined {
    return this.#available;
  }

  stats(): PollerStats {
    const elapsedS = (this.#clock.monotonic() - this.#startedAt) / 1000;
    return {
      ...this.#stats,
      pointsPerSecond: elapsedS > 0 ? this.#stats.pointsRead / elapsedS : 0,
      available: this.#available,
      consecutiveFailures: this.#consecutive,
    };
  }

  /** The plan used when every group is due at once (for inspection and benchmarks). */
  fullPlan(): ReadPlan {
    return this.#plan(this.#groups.map((_, i) => i));
  }

  #schedule(): void {
    if (!this.#running || this.#timer || this.#current) return;
    let next = Infinity;
    for (const g of this.#groups) if (g.nextDue < next) next = g.nextDue;
    if (next === Infinity) return;
    const delay = Math.max(0, next - this.#clock.monotonic());
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#current = this.#cycle()
        .catch((err: unknown) => this.#log.error({ err: String(err) }, "poll cycle failed unexpectedly"))
        .finally(() => {
          this.#current = undefined;
          this.#schedule();
        });
    }, delay);
    this.#timer.unref?.();
  }

  #plan(due: number[]): ReadPlan {
    const key = due.join(",");
    let plan = this.#plans.get(key);
    if (!plan) {
      const subset: number[] = [];
      for (const gi of due) subset.push(...this.#groups[gi]!.indexes);
      const o = this.#o;
      plan = buildReadPlan(this.#codec, { merge: o.mergeReads !== false, maxGap: o.maxGap, maxBlock: o.maxBlock }, subset);
      this.#plans.set(key, plan);
    }
    return plan;
  }

  async #cycle(): Promise<void> {
    const now = this.#clock.monotonic();
    const due: number[] = [];
    for (let gi = 0; gi < this.#groups.length; gi++) {
      const g = this.#groups[gi]!;
      if (g.nextDue > now) continue;
      due.push(gi);
      g.nextDue += g.pollMs;
      if (g.nextDue <= now) {
        this.#stats.overruns++;
        g.nextDue = now + g.pollMs;
      }
    }
    if (due.length === 0) return;
    const plan = this.#plan(due);
    // one-request-per-point mode is a baseline: no sharing of identical blocks in the queue either
    const results = await this.#o.driver.read(this.#o.unitId, plan.blocks, this.#readOptions);
    if (!this.#running) return;

    const s = this.#stats;
    s.cycles++;
    let ok = 0;
    let failed = 0;
    let latency = 0;
    let firstError: LosError | undefined;
    for (let b = 0; b < plan.blocks.length; b++) {
      const block = plan.blocks[b]!;
      const r = results[b]!;
      if (r.ok) {
        ok++;
        latency += r.latencyMs;
        sliceBlock(block, r.data, this.#codec, this.#values, this.#errors);
        s.pointsRead += block.points.length;
      } else if (isLosError(r.error, "LOS_E_DEVICE_BUSY")) {
        continue;
      } else if (isLosError(r.error, "LOS_E_DRIVER_CLOSED")) {
        return;
      } else {
        failed++;
        firstError ??= r.error;
        for (const i of block.points) {
          this.#values[i] = null;
          this.#errors[i] = r.error;
        }
      }
    }
    s.lastCycleRequests = ok + failed;
    s.requests += ok + failed;

    const ts = this.#clock.now();
    const out: Reading[] = [];
    if (ok > 0) {
      this.#consecutive = 0;
      if (this.#available !== true) {
        this.#available = true;
        this.#status({ available: true, ts, latencyMs: latency / ok });
      }
      for (const block of plan.blocks) for (const i of block.points) this.#evaluate(i, now, ts, out);
    } else if (failed > 0) {
      s.failedCycles++;
      this.#consecutive++;
      if (this.#consecutive >= this.#threshold && this.#available !== false) {
        this.#available = false;
        const err = firstError!;
        this.#status({ available: false, ts, error: err.code, message: err.message });
        for (let i = 0; i < this.#codec.length; i++) {
          this.#errors[i] = err;
          this.#values[i] = null;
          this.#evaluate(i, now, ts, out);
        }
      }
    } else {
      s.skippedCycles++;
    }
    if (out.length > 0) {
      s.readingsEmitted += out.length;
      try {
        this.#o.onReadings(this.deviceId, out);
      } catch (err) {
        this.#log.error({ err: String(err) }, "onReadings threw");
      }
    }
  }

  #evaluate(i: number, now: number, ts: number, out: Reading[]): void {
    this.#reporter.consider(i, this.#values[i]!, this.#errors[i], now, ts, out);
  }

  #status(status: DeviceStatus): void {
    try {
      this.#o.onStatus(this.deviceId, status);
    } catch (err) {
      this.#log.error({ err: String(err) }, "onStatus threw");
    }
  }
}
