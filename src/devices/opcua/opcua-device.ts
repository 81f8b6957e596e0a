/**
 * One device on an OPC-UA session: subscribed points through a PointMonitor, polled points read in
 * one batched Read per pollMs group, everything through report by exception. Availability follows
 * the session: unavailable after `failuresBeforeUnavailable` failed connect attempts (or failed
 * polls), available again as soon as values flow. Writes coerce the value to the node's type.
 */
import { AttributeIds, type ClientSession, type DataValue } from "node-opcua";
import type { Clock, TimerHandle } from "../../core/clock.js";
import { LosError, isLosError } from "../../core/errors.js";
import { pointId, type Logger, type Reading, type Value } from "../../core/types.js";
import type { OpcuaPointDef, OpcuaProfile, PointDef } from "../../config/profile-schema.js";
import type { AttachedDevice, DeviceSink, DeviceStats, DeviceStatus } from "../protocol.js";
import { DEFAULT_REFRESH_MS, ExceptionReporter } from "../report-by-exception.js";
import { statusError } from "./opcua-errors.js";
import { DEFAULT_PUBLISHING_MS, DEFAULT_QUEUE_SIZE, DEFAULT_SAMPLING_MS, PointMonitor, type MonitoredPoint } from "./opcua-monitor.js";
import type { OpcuaSessionLink, SessionEvents } from "./opcua-session-link.js";
import { usesNamespaceUri, withNamespaceIndex } from "./opcua-namespaces.js";
import { fromVariant, toVariant } from "./opcua-values.js";

export const DEFAULT_POLL_MS = 1000;

export interface OpcuaDeviceOptions {
  deviceId: string;
  profile: OpcuaProfile;
  link: OpcuaSessionLink;
  sink: DeviceSink;
  clock: Clock;
  logger: Logger;
  failuresBeforeUnavailable?: number;
}

export class OpcuaDevice implements AttachedDevice, SessionEvents {
  readonly address: string;
  readonly #o: OpcuaDeviceOptions;
  readonly #defs: OpcuaPointDef[];
  readonly #ids: string[];
  readonly #reporter: ExceptionReporter;
  readonly #monitor: PointMonitor;
  readonly #subscribed: number[];
  readonly #pollGroups = new Map<number, number[]>();
  readonly #lastGood: (Value | undefined)[];
  readonly #threshold: number;
  readonly #refreshMs: number;
  readonly #timers = new Set<TimerHandle>();
  readonly #inFlight = new Set<Promise<void>>();
  /** node ids as the current session numbers namespaces (nsu= resolved); undefined: not on the server */
  #nodeIds: (string | undefined)[];
  #unlisten: (() => void) | undefined;
  #running = false;
  #available: boolean | undefined;
  #consecutive = 0;
  #startedAt = 0;
  #stats = { cycles: 0, pointsRead: 0, readingsEmitted: 0 };

  constructor(o: OpcuaDeviceOptions) {
    this.#o = o;
    const d = o.profile.defaults ?? {};
    this.#defs = o.profile.points;
    this.#ids = this.#defs.map((p) => pointId(o.deviceId, p.name));
    this.#refreshMs = d.refreshMs ?? DEFAULT_REFRESH_MS;
    this.#reporter = new ExceptionReporter(this.#ids, this.#defs.map((p) => p.deadband ?? 0), this.#refreshMs);
    this.#lastGood = new Array<Value | undefined>(this.#defs.length).fill(undefined);
    this.#nodeIds = this.#defs.map((p) => (usesNamespaceUri(p.nodeId) ? undefined : p.nodeId));
    this.#threshold = Math.max(1, o.failuresBeforeUnavailable ?? 3);
    const monitored: MonitoredPoint[] = [];
    this.#subscribed = [];
    this.#defs.forEach((def, index) => {
      if ((def.mode ?? d.mode ?? "subscribe") === "poll") {
        const ms = def.pollMs ?? d.pollMs ?? DEFAULT_POLL_MS;
        this.#pollGroups.set(ms, [...(this.#pollGroups.get(ms) ?? []), index]);
        return;
      }
      this.#subscribed.push(index);
      monitored.push({ index, def, samplingMs: def.samplingMs ?? d.samplingMs ?? DEFAULT_SAMPLING_MS, queueSize: def.queueSize ?? d.queueSize ?? DEFAULT_QUEUE_SIZE, deadband: def.deadband ?? 0 });
    });
    this.#monitor = new PointMonitor(monitored, d.publishingMs ?? DEFAULT_PUBLISHING_MS, o.clock, o.deviceId, {
      onBatch: (items) => this.#onBatch(items),
      onItemError: (index, err) => this.#emit((out, now, ts) => this.#reporter.consider(index, null, err, now, ts, out)),
      onDead: (err) => o.link.lost(err),
    });
    const namespaces = [...new Set(this.#defs.map((p) => /^(ns=\d+|nsu=[^;]+)/.exec(p.nodeId)?.[1] ?? "ns=0"))];
    this.address = namespaces.join(",");
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#startedAt = this.#o.clock.monotonic();
    this.#unlisten = this.#o.link.listen(this);
    for (const [ms, indexes] of this.#pollGroups) this.#every(ms, () => this.#poll(indexes));
    if (this.#subscribed.length > 0) this.#every(this.#refreshMs, () => this.#refresh());
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#unlisten?.();
    for (const t of this.#timers) this.#o.clock.clearTimeout(t);
    this.#timers.clear();
    await this.#track(this.#monitor.stop());
    await Promise.all(this.#inFlight);
  }

  async write(point: PointDef, value: Value): Promise<void> {
    const def = point as OpcuaPointDef;
    const id = pointId(this.#o.deviceId, def.name);
    const variant = toVariant(def.type, value, id);
    const nodeId = this.#nodeIds[this.#defs.findIndex((p) => p.name === def.name)];
    if (nodeId === undefined) throw new LosError("LOS_E_DEVICE_NODE_UNKNOWN", `${id}: ${def.nodeId} is not resolved on the server (not connected, or no such namespace)`);
    const status = await this.#o.link.request(`write ${id}`, (s) => s.write({ nodeId, attributeId: AttributeIds.Value, value: { value: variant } }));
    if (status.isGood()) return;
    if (status.name === "BadTypeMismatch") {
      throw new LosError("LOS_E_WRITE_TYPE", `${id}: the server refused a ${def.type} (BadTypeMismatch): the profile's type does not match the node's data type`, {
        details: { point: id, nodeId: def.nodeId, type: def.type, status: status.name },
      });
    }
    throw statusError(status.name, `${id} not written`, { point: id, nodeId: def.nodeId });
  }

  stats(): DeviceStats {
    const elapsedS = (this.#o.clock.monotonic() - this.#startedAt) / 1000;
    return {
      available: this.#available,
      consecutiveFailures: this.#consecutive,
      cycles: this.#stats.cycles,
      pointsRead: this.#stats.pointsRead,
      readingsEmitted: this.#stats.readingsEmitted,
      pointsPerSecond: this.#running && elapsedS > 0 ? this.#stats.pointsRead / elapsedS : 0,
    };
  }

  // SessionEvents
  up(session: ClientSession): void {
    if (!this.#running) return;
    void this.#track(
      this.#resolve(session)
        .then(() => this.#monitor.start(session, this.#nodeIds))
        .catch((err: unknown) => {
        if (!this.#running || this.#o.link.session !== session) return;
        this.#o.logger.warn({ device: this.#o.deviceId, err: String(err) }, "opcua subscription could not be created");
        this.#o.link.lost(isLosError(err) ? err : new LosError("LOS_E_DEVICE_DISCONNECTED", `${this.#o.deviceId}: subscription failed: ${String(err)}`, { cause: err }));
      }),
    );
  }

  /** Rewrite nsu= node ids for this session; a namespace the server lacks makes its points bad. */
  async #resolve(session: ClientSession): Promise<void> {
    if (!this.#defs.some((p) => usesNamespaceUri(p.nodeId))) return;
    const namespaces = await this.#o.link.request("read NamespaceArray", (s) => s.readNamespaceArray());
    if (this.#o.link.session !== session) return;
    this.#emit((out, now, ts) =>
      this.#defs.forEach((p, i) => {
        try {
          this.#nodeIds[i] = withNamespaceIndex(p.nodeId, namespaces);
        } catch (err) {
          this.#nodeIds[i] = undefined;
          this.#reporter.consider(i, null, err as LosError, now, ts, out);
        }
      }),
    );
  }

  down(): void {
    this.#monitor.lost();
  }

  attemptFailed(err: LosError): void {
    this.#failed(err);
  }

  #onBatch(items: readonly { index: number; value: DataValue }[]): void {
    this.#stats.cycles++;
    this.#stats.pointsRead += items.length;
    this.#emit((out, now, ts) => {
      for (const { index, value } of items) this.#consider(index, value, now, ts, out);
    });
    this.#flowing();
  }

  #consider(index: number, dv: DataValue, now: number, ts: number, out: Reading[]): void {
    const def = this.#defs[index]!;
    if (dv.statusCode.isBad()) {
      this.#reporter.consider(index, null, statusError(dv.statusCode.name, `${this.#ids[index]} (${def.nodeId})`, { nodeId: def.nodeId }), now, ts, out);
      this.#lastGood[index] = undefined;
      return;
    }
    try {
      const v = fromVariant(dv.value, this.#ids[index]!);
      this.#lastGood[index] = v;
      this.#reporter.consider(index, v, undefined, now, ts, out);
    } catch (err) {
      this.#reporter.consider(index, null, err as Error, now, ts, out);
    }
  }

  async #poll(all: readonly number[]): Promise<void> {
    if (!this.#o.link.session) return; // connect attempts count the failures meanwhile
    const indexes = all.filter((i) => this.#nodeIds[i] !== undefined);
    if (indexes.length === 0) return;
    try {
      const values = await this.#o.link.request(`read ${this.#o.deviceId}`, (s) =>
        s.read(indexes.map((i) => ({ nodeId: this.#nodeIds[i]!, attributeId: AttributeIds.Value }))),
      );
      if (!this.#running) return;
      this.#stats.cycles++;
      this.#stats.pointsRead += values.length;
      this.#emit((out, now, ts) => values.forEach((dv, k) => this.#consider(indexes[k]!, dv, now, ts, out)));
      if (values.some((dv) => !dv.statusCode.isBad())) this.#flowing();
    } catch (err) {
      if (!this.#running) return;
      const e = isLosError(err) ? err : new LosError("LOS_E_DEVICE_STATUS", String(err), { cause: err });
      this.#emit((out, now, ts) => indexes.forEach((i) => this.#reporter.consider(i, null, e, now, ts, out)));
      this.#failed(e);
    }
  }

  /** Subscribed values unchanged for refreshMs are still current while the subscription lives. */
  #refresh(): void {
    if (!this.#o.link.session) return;
    this.#emit((out, now, ts) => {
      for (const i of this.#subscribed) {
        const v = this.#lastGood[i];
        if (v !== undefined) this.#reporter.consider(i, v, undefined, now, ts, out);
      }
    });
  }

  #flowing(): void {
    this.#consecutive = 0;
    if (this.#available === true) return;
    this.#available = true;
    const status: DeviceStatus = { available: true, ts: this.#o.clock.now() };
    const latency = this.#o.link.health().latencyMs;
    if (latency !== undefined) status.latencyMs = latency;
    this.#status(status);
  }

  #failed(err: LosError): void {
    this.#consecutive++;
    if (this.#consecutive < this.#threshold || this.#available === false) return;
    this.#available = false;
    this.#emit((out, now, ts) => this.#defs.forEach((_, i) => this.#reporter.consider(i, null, err, now, ts, out)));
    this.#status({ available: false, ts: this.#o.clock.now(), error: err.code, message: err.message });
  }

  #emit(fill: (out: Reading[], now: number, ts: number) => void): void {
    const out: Reading[] = [];
    fill(out, this.#o.clock.monotonic(), this.#o.clock.now());
    if (out.length === 0) return;
    this.#stats.readingsEmitted += out.length;
    this.#o.sink.onReadings(this.#o.deviceId, out);
  }

  #status(status: DeviceStatus): void {
    this.#o.sink.onStatus(this.#o.deviceId, status);
  }

  /** Run `fn` every `ms` (measured from each start), never overlapping itself, never throwing. */
  #every(ms: number, fn: () => void | Promise<void>): void {
    const { clock } = this.#o;
    let next = clock.monotonic() + ms;
    const tick = () => {
      if (!this.#running) return;
      this.#timers.delete(handle);
      void this.#track(Promise.resolve().then(fn).catch((err: unknown) => this.#o.logger.error({ device: this.#o.deviceId, err: String(err) }, "opcua cycle failed"))).finally(() => {
        if (!this.#running) return;
        const now = clock.monotonic();
        next = Math.max(next + ms, now);
        handle = clock.setTimeout(tick, next - now);
        handle.unref?.();
        this.#timers.add(handle);
      });
    };
    let handle = clock.setTimeout(tick, ms);
    handle.unref?.();
    this.#timers.add(handle);
  }

  #track(p: Promise<void>): Promise<void> {
    this.#inFlight.add(p);
    return p.finally(() => this.#inFlight.delete(p));
  }
}
