/**
 * Protocol plug-ins. The device manager groups devices by connection key; each group gets one
 * channel from its protocol's adapter (one socket, serial port or OPC-UA session) and each device is
 * attached to its channel. The channel owns the wire and its health; an attached device turns what
 * the wire brings into readings (report by exception, see report-by-exception.ts) and availability,
 * and performs writes. Capability, envelope and audit run before a write reaches an adapter.
 *
 * Adapters are loaded on demand (adapters.ts): a gateway without OPC-UA devices never loads
 * node-opcua.
 */
import type { Clock } from "../core/clock.js";
import type { DeviceStatusPayload } from "../core/topics.js";
import type { Logger, Reading, Value } from "../core/types.js";
import type { Connection } from "../config/connection-schema.js";
import type { DeviceProfile, PointDef, Protocol } from "../config/profile-schema.js";
import type { DriverHealth } from "./driver.js";

export type DeviceStatus = DeviceStatusPayload;

export interface ResolvedDevice {
  id: string;
  tenant?: string;
  profile: DeviceProfile;
  connection: Connection;
}

/** Where attached devices report; the device manager's sink never throws (it logs a failing consumer). */
export interface DeviceSink {
  /** one call per batch with the readings to publish (never empty) */
  onReadings(deviceId: string, readings: Reading[]): void;
  /** availability changes */
  onStatus(deviceId: string, status: DeviceStatus): void;
}

export interface ProtocolContext {
  clock: Clock;
  logger: Logger;
  /** jitter source for reconnect backoff */
  random: () => number;
  /** the gateway's data dir (OPC-UA certificate store, secrets); absent in some tests */
  dataDir?: string;
  /** where `passwordEnv` and similar secret references are looked up */
  env: Readonly<Record<string, string | undefined>>;
  /** polls allowed to wait per connection before the oldest is dropped */
  maxQueued?: number;
  /** false: one request per point (Modbus benchmark baseline) */
  mergeReads?: boolean;
  /** consecutive failed cycles before a device is unavailable */
  failuresBeforeUnavailable?: number;
}

/** Counters every protocol reports; protocols add their own fields. */
export interface DeviceStats {
  available: boolean | undefined;
  consecutiveFailures: number;
  /** poll cycles, notification batches or frames: the protocol's unit of work */
  cycles: number;
  /** values decoded from the device */
  pointsRead: number;
  readingsEmitted: number;
  pointsPerSecond: number;
}

export interface AttachedDevice {
  /** where the device sits on its channel, for listings: `unit 3`, `ns=2`, `addr 01` */
  readonly address: string;
  /** Begin polling or subscribing (the channel was opened, or keeps retrying). */
  start(): void;
  /** Stop; resolves when work in progress has settled. */
  stop(): Promise<void>;
  /** Write a value already checked for writability and type. Rejects with a coded error. */
  write(point: PointDef, value: Value): Promise<void>;
  stats(): DeviceStats;
}

export interface DeviceChannel {
  /** the connection key (connectionKey() in config/connection-schema.ts) */
  readonly key: string;
  /** Throws LOS_E_CONFIG_INVALID when the device cannot share this channel (e.g. a unit id clash). */
  attach(device: ResolvedDevice, sink: DeviceSink): AttachedDevice;
  /**
   * Connect. Resolves once the first attempt has settled, connected or not: a device that is off at
   * start must not stop the gateway; retries continue with backoff. Aborting the signal closes.
   */
  open(signal: AbortSignal): Promise<void>;
  /** Stop reconnecting, fail what is queued with LOS_E_DRIVER_CLOSED, release the wire. */
  close(): Promise<void>;
  health(): DriverHealth;
}

export interface ProtocolAdapter {
  readonly protocol: Protocol;
  /** One channel per connection key; `connection` is one of this protocol's connection types. */
  createChannel(connection: Connection, context: ProtocolContext): DeviceChannel;
}
