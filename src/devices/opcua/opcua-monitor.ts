/**
 * The subscribed points of one device on one session: a subscription (publishingMs) and its
 * monitored items, created in groups that share sampling interval, queue size and deadband (an
 * absolute DataChangeFilter on numeric nodes). Notifications arrive a publish response at a time
 * and are handed over as one batch: `(index, DataValue)` pairs by point index. An item the server
 * refused, or whose node disappeared, is reported by `onItemError` and created again later, so a
 * node that comes back flows again without a reconnect.
 */
import {
  AttributeIds,
  DataChangeFilter,
  DataChangeTrigger,
  DeadbandType,
  TimestampsToReturn,
  resolveNodeId,
  type ClientMonitoredItemBase,
  type ClientSession,
  type ClientSubscription,
  type DataValue,
  type MonitoringParametersOptions,
  type NotificationMessage,
} from "node-opcua";
import type { Clock, TimerHandle } from "../../core/clock.js";
import { LosError } from "../../core/errors.js";
import type { OpcuaPointDef } from "../../config/opcua-profile-schema.js";
import { statusError } from "./opcua-errors.js";

export const DEFAULT_PUBLISHING_MS = 500;
export const DEFAULT_SAMPLING_MS = 250;
export const DEFAULT_QUEUE_SIZE = 1;
const MAX_ITEMS_PER_CALL = 1000;
const RETRY_DEAD_MS = 5000;

export interface MonitoredPoint {
  index: number;
  def: OpcuaPointDef;
  samplingMs: number;
  queueSize: number;
  deadband: number;
}

export interface MonitorEvents {
  onBatch(items: readonly { index: number; value: DataValue }[]): void;
  onItemError(index: number, err: LosError): void;
  /** the subscription died on the server (timeout, session gone): the session must be rebuilt */
  onDead(err: LosError): void;
}

const NUMERIC = new Set(["SByte", "Byte", "Int16", "UInt16", "Int32", "UInt32", "Int64", "UInt64", "Float", "Double"]);

export class PointMonitor {
  readonly #points: readonly MonitoredPoint[];
  readonly #publishingMs: number;
  readonly #events: MonitorEvents;
  readonly #clock: Clock;
  readonly #what: string;
  readonly #byHandle = new Map<number, number>();
  #byNode = new Map<string, number>();
  #nodeIds: readonly (string | undefined)[] = [];
  readonly #items = new Map<number, ClientMonitoredItemBase>();
  readonly #dead = new Set<number>();
  #subscription: ClientSubscription | undefined;
  #retry: TimerHandle | undefined;
  #stopped = false;

  constructor(points: readonly MonitoredPoint[], publishingMs: number, clock: Clock, what: string, events: MonitorEvents) {
    this.#points = points;
    this.#publishingMs = publishingMs;
    this.#clock = clock;
    this.#what = what;
    this.#events = events;
  }

  get size(): number {
    return this.#points.length;
  }

  /**
   * Build the subscription and every item on a fresh session. `nodeIds[index]` is each point's node
   * id as this session numbers namespaces; points without one are left out (their error is known).
   */
  async start(session: ClientSession, nodeIds: readonly (string | undefined)[]): Promise<void> {
    this.#forget();
    this.#nodeIds = nodeIds;
    this.#byNode = new Map();
    const points = this.#points.filter((p) => nodeIds[p.index] !== undefined);
    for (const p of points) this.#byNode.set(resolveNodeId(nodeIds[p.index]!).toString(), p.index);
    if (points.length === 0) return;
    const sub = await session.createSubscription2({
      requestedPublishingInterval: this.#publishingMs,
      // keep-alive every ~10 publishing intervals, lifetime 6 keep-alives
      requestedMaxKeepAliveCount: 10,
      requestedLifetimeCount: 60,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 1,
    });
    if (this.#stopped) {
      await sub.terminate().catch(() => {});
      return;
    }
    this.#subscription = sub;
    sub.on("received_notifications", (msg: NotificationMessage) => this.#onMessage(sub, msg));
    const dead = (why: string) => {
      if (sub === this.#subscription && !this.#stopped) {
        this.#subscription = undefined;
        this.#events.onDead(new LosError("LOS_E_DEVICE_DISCONNECTED", `${this.#what}: subscription ${why}`));
      }
    };
    sub.on("terminated", () => dead("terminated by the server"));
    sub.on("status_changed", (status) => {
      if (status.isBad()) dead(`status ${status.name}`);
    });
    await this.#create(sub, points);
  }

  /** The session is gone: its subscription went with it. */
  lost(): void {
    this.#forget();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const sub = this.#subscription;
    this.#forget();
    if (sub) await sub.terminate().catch(() => {});
  }

  #forget(): void {
    this.#subscription = undefined;
    this.#byHandle.clear();
    this.#items.clear();
    this.#dead.clear();
    if (this.#retry) this.#clock.clearTimeout(this.#retry);
    this.#retry = undefined;
  }

  async #create(sub: ClientSubscription, points: readonly MonitoredPoint[]): Promise<void> {
    const groups = new Map<string, MonitoredPoint[]>();
    for (const p of points) {
      const deadband = NUMERIC.has(p.def.type) ? p.deadband : 0;
      const key = `${p.samplingMs}/${p.queueSize}/${deadband}`;
      const g = groups.get(key) ?? [];
      g.push(p);
      groups.set(key, g);
    }
    for (const group of groups.values()) {
      const first = group[0]!;
      const deadband = NUMERIC.has(first.def.type) ? first.deadband : 0;
      const params: MonitoringParametersOptions = { samplingInterval: first.samplingMs, queueSize: first.queueSize, discardOldest: true };
      if (deadband > 0) {
        params.filter = new DataChangeFilter({ trigger: DataChangeTrigger.StatusValue, deadbandType: DeadbandType.Absolute, deadbandValue: deadband });
      }
      for (let at = 0; at < group.length; at += MAX_ITEMS_PER_CALL) {
        const chunk = group.slice(at, at + MAX_ITEMS_PER_CALL);
        const created = await sub.monitorItems(
          chunk.map((p) => ({ nodeId: this.#nodeIds[p.index]!, attributeId: AttributeIds.Value })),
          params,
          TimestampsToReturn.Neither,
        );
        if (sub !== this.#subscription) return;
        created.monitoredItems.forEach((item, k) => {
          const p = chunk[k]!;
          if (item.statusCode.isGood()) {
            this.#byHandle.set(item.monitoringParameters.clientHandle, p.index);
            this.#items.set(p.index, item);
          } else {
            this.#markDead(p.index, statusError(item.statusCode.name, `${this.#what} ${p.def.name} (${p.def.nodeId})`, { nodeId: p.def.nodeId }));
          }
        });
      }
    }
  }

  #onMessage(sub: ClientSubscription, msg: NotificationMessage): void {
    if (sub !== this.#subscription) return;
    const batch: { index: number; value: DataValue }[] = [];
    for (const n of msg.notificationData ?? []) {
      const items = (n as { monitoredItems?: { clientHandle: number; value: DataValue }[] | null }).monitoredItems;
      if (!items) continue;
      for (const it of items) {
        const index = this.#byHandle.get(it.clientHandle) ?? this.#lookup(sub, it.clientHandle);
        if (index === undefined) continue;
        const name = it.value.statusCode.name;
        if (name === "BadNodeIdUnknown" || name === "BadNodeIdInvalid") {
          const p = this.#points.find((q) => q.index === index)!;
          this.#markDead(index, statusError(name, `${this.#what} ${p.def.name} (${p.def.nodeId})`, { nodeId: p.def.nodeId }));
          continue;
        }
        batch.push({ index, value: it.value });
      }
    }
    if (batch.length > 0) this.#events.onBatch(batch);
  }

  /** A notification that raced the end of monitorItems: find its point by node id. */
  #lookup(sub: ClientSubscription, handle: number): number | undefined {
    const item = sub.monitoredItems[handle];
    const index = item ? this.#byNode.get(item.itemToMonitor.nodeId.toString()) : undefined;
    if (index !== undefined) this.#byHandle.set(handle, index);
    return index;
  }

  #markDead(index: number, err: LosError): void {
    this.#events.onItemError(index, err);
    const item = this.#items.get(index);
    this.#items.delete(index);
    if (item) {
      this.#byHandle.delete(item.monitoringParameters.clientHandle);
      void item.terminate().catch(() => {});
    }
    this.#dead.add(index);
    if (!this.#retry && !this.#stopped) {
      this.#retry = this.#clock.setTimeout(() => void this.#retryDead(), RETRY_DEAD_MS);
      this.#retry.unref?.();
    }
  }

  async #retryDead(): Promise<void> {
    this.#retry = undefined;
    const sub = this.#subscription;
    if (!sub || this.#stopped || this.#dead.size === 0) return;
    const points = this.#points.filter((p) => this.#dead.has(p.index));
    this.#dead.clear();
    await this.#create(sub, points).catch(() => {
      // a failed create leaves them dead: try again after the next interval
      for (const p of points) this.#dead.add(p.index);
      if (!this.#retry && !this.#stopped) this.#retry = this.#clock.setTimeout(() => void this.#retryDead(), RETRY_DEAD_MS);
    });
  }
}
