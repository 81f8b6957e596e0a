/**
 * Device manager: owns the channels and attached devices of a gateway, whatever their protocol.
 * Devices that share a connection key share one channel (one socket, serial bus or OPC-UA session);
 * each protocol's adapter (protocol.ts) builds its channels and attaches its devices. Writes are
 * validated here (device, point, writability, value kind) and handed to the device's adapter; the
 * safety envelope is applied by the caller before (src/devices/envelope.ts).
 */
import { setMaxListeners } from "node:events";
import { systemClock, type Clock } from "../core/clock.js";
import { LosError, isLosError, type ErrorCode } from "../core/errors.js";
import { pointId, silentLogger, type Logger, type Reading, type Value } from "../core/types.js";
import { CONNECTION_PROTOCOL, connectionKey } from "../config/connection-key.js";
import { valueKind } from "../config/point-kind.js";
import type { PointDef } from "../config/profile-schema.js";
import type { AdapterSet } from "./adapters.js";
import type { DriverError } from "./driver.js";
import { modbusAdapter } from "./modbus/modbus-adapter.js";
import type { AttachedDevice, DeviceChannel, DeviceSink, DeviceStats, DeviceStatus, ProtocolContext, ResolvedDevice } from "./protocol.js";

export type { DeviceStatus, ResolvedDevice } from "./protocol.js";

export interface DeviceManagerOptions {
  devices: readonly ResolvedDevice[];
  clock?: Clock;
  logger?: Logger;
  /** one call per device per batch with the readings to publish */
  onReadings: (deviceId: string, readings: Reading[]) => void;
  /** availability changes */
  onStatus: (deviceId: string, status: DeviceStatus) => void;
  /** protocol adapters (adapters.ts loadAdapters); default: Modbus only */
  adapters?: AdapterSet;
  /** the gateway's data dir (OPC-UA certificates) */
  dataDir?: string;
  /** where secret references (passwordEnv) are looked up (default process.env) */
  env?: Readonly<Record<string, string | undefined>>;
  /** false: one request per point instead of merged block reads (benchmark comparison) */
  mergeReads?: boolean;
  /** consecutive failed cycles before a device is unavailable (default 3) */
  failuresBeforeUnavailable?: number;
  /** polls allowed to wait per connection before the oldest is dropped (default 64) */
  maxQueued?: number;
  /** jitter source for reconnect backoff (default Math.random) */
  random?: () => number;
}

export interface DeviceInfo {
  id: string;
  tenant?: string;
  protocol: string;
  connectionKey: string;
  /** where the device sits on its connection: `unit 3`, `addr 01`… */
  address: string;
  vendor: string;
  model: string;
  points: number;
}

export interface DeviceHealth {
  available: boolean | undefined;
  connected: boolean;
  connectionKey: string;
  address: string;
  lastError?: DriverError;
  latencyMs?: number;
  consecutiveFailures: number;
  stats: DeviceStats;
}

export interface DeviceManagerStats {
  devices: number;
  connections: number;
  /** requests sent on the wire, all connections */
  requests: number;
  /** point values decoded from the devices */
  pointsRead: number;
  /** failed requests, all connections */
  failures: number;
  readingsEmitted: number;
  cycles: number;
  /** polls dropped / coalesced by full queues */
  dropped: number;
  coalesced: number;
  reconnects: number;
  pointsPerSecond: number;
}

export interface DeviceManager {
  start(): Promise<void>;
  stop(): Promise<void>;
  write(deviceId: string, pointName: string, value: Value): Promise<void>;
  point(deviceId: string, name: string): PointDef | undefined;
  devices(): DeviceInfo[];
  health(): Record<string, DeviceHealth>;
  stats(): DeviceManagerStats;
}

interface DeviceEntry {
  device: ResolvedDevice;
  channel: DeviceChannel;
  attached: AttachedDevice;
  defs: Map<string, PointDef>;
}

/** Write errors that already say what is wrong with the request; other device errors become LOS_E_WRITE_FAILED. */
const PASS_THROUGH: readonly ErrorCode[] = ["LOS_E_CODEC", "LOS_E_DRIVER_CLOSED", "LOS_E_WRITE_READ_ONLY", "LOS_E_WRITE_TYPE"];

const DEFAULT_ADAPTERS: AdapterSet = new Map([["modbus", modbusAdapter]]);

export function createDeviceManager(options: DeviceManagerOptions): DeviceManager {
  const clock = options.clock ?? systemClock;
  const log = (options.logger ?? silentLogger).child({ component: "devices" });
  const adapters = options.adapters ?? DEFAULT_ADAPTERS;
  const context: ProtocolContext = {
    clock,
    logger: log,
    random: options.random ?? Math.random,
    dataDir: options.dataDir,
    env: options.env ?? process.env,
    maxQueued: options.maxQueued,
    mergeReads: options.mergeReads,
    failuresBeforeUnavailable: options.failuresBeforeUnavailable,
  };
  const channels = new Map<string, DeviceChannel>();
  const entries = new Map<string, DeviceEntry>();
  // adapters call the sink from their timers and socket events: a throwing consumer is logged here, once for all
  const sink: DeviceSink = {
    onReadings: (deviceId, readings) => {
      try {
        options.onReadings(deviceId, readings);
      } catch (err) {
        log.error({ device: deviceId, err: String(err) }, "onReadings threw");
      }
    },
    onStatus: (deviceId, status) => {
      try {
        options.onStatus(deviceId, status);
      } catch (err) {
        log.error({ device: deviceId, err: String(err) }, "onStatus threw");
      }
    },
  };
  let started = false;
  let stopped = false;
  const abort = new AbortController();

  for (const device of options.devices) {
    if (entries.has(device.id)) {
      throw new LosError("LOS_E_CONFIG_INVALID", `device id ${device.id} is configured twice`, { details: { device: device.id } });
    }
    const protocol = CONNECTION_PROTOCOL[device.connection.type];
    if (device.profile.protocol !== protocol) {
      throw new LosError("LOS_E_CONFIG_INVALID", `device ${device.id}: its profile speaks ${device.profile.protocol}, its connection ${device.connection.type}`, {
        details: { device: device.id },
      });
    }
    const adapter = adapters.get(protocol);
    if (!adapter) throw new LosError("LOS_E_CONFIG_INVALID", `no ${protocol} driver was loaded for device ${device.id}`, { details: { device: device.id, protocol } });
    const key = connectionKey(device.connection);
    let channel = channels.get(key);
    if (!channel) {
      channel = adapter.createChannel(device.connection, context);
      channels.set(key, channel);
    }
    const defs = new Map<string, PointDef>();
    const points: readonly PointDef[] = device.profile.points;
    for (const def of points) {
      if (defs.has(def.name)) {
        throw new LosError("LOS_E_PROFILE_INVALID", `point ${def.name} appears twice in ${device.profile.vendor}/${device.profile.model}`);
      }
      defs.set(def.name, def);
    }
    const attached = channel.attach(device, sink);
    entries.set(device.id, { device, channel, attached, defs });
  }

  function entry(deviceId: string): DeviceEntry {
    const e = entries.get(deviceId);
    if (!e) throw new LosError("LOS_E_DEVICE_UNKNOWN", `no device ${deviceId}`, { details: { device: deviceId } });
    return e;
  }

  return {
    async start() {
      if (stopped) throw new LosError("LOS_E_CLOSED", "the device manager was stopped");
      if (started) return;
      started = true;
      // open every connection in parallel; a device that is off does not hold up the others.
      // Each driver listens on the one shared signal: allow one listener per driver (Node warns past 10).
      setMaxListeners(Math.max(10, channels.size + 1), abort.signal);
      await Promise.all([...channels.values()].map((ch) => ch.open(abort.signal)));
      if (stopped) return;
      for (const e of entries.values()) e.attached.start();
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      // stop scheduling first, then close the drivers (which fails anything still queued), and only
      // then wait for the cycles in progress: they may be waiting on the queue
      const running = [...entries.values()].map((e) => e.attached.stop());
      abort.abort();
      await Promise.all([...channels.values()].map((ch) => ch.close()));
      await Promise.all(running);
    },

    async write(deviceId, pointName, value) {
      const e = entry(deviceId);
      const p = e.defs.get(pointName);
      if (!p) {
        throw new LosError("LOS_E_POINT_UNKNOWN", `no point ${pointName} on ${deviceId}`, { details: { device: deviceId, point: pointName } });
      }
      const id = pointId(deviceId, pointName);
      if (p.writable !== true) throw new LosError("LOS_E_WRITE_READ_ONLY", `${id} is read-only`, { details: { point: id } });
      const kind = valueKind(p);
      const fits = kind === "bool" ? typeof value === "boolean" : kind === "string" ? typeof value === "string" : typeof value === "number" && Number.isFinite(value);
      if (!fits) {
        const wanted = kind === "bool" ? "boolean" : kind === "string" ? "string" : "finite number";
        throw new LosError("LOS_E_WRITE_TYPE", `${id} takes a ${wanted}, got ${JSON.stringify(value)}`, { details: { point: id, value } });
      }
      if (stopped) throw new LosError("LOS_E_DRIVER_CLOSED", `the device manager was stopped; ${id} not written`);
      try {
        await e.attached.write(p, value);
      } catch (err) {
        if (PASS_THROUGH.some((code) => isLosError(err, code))) throw err;
        const code = isLosError(err) ? err.code : "LOS_E_INTERNAL";
        throw new LosError("LOS_E_WRITE_FAILED", `${id} not written: ${code}: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
          details: { point: id, value, deviceError: code, ...(isLosError(err) ? err.details : {}) },
        });
      }
    },

    point(deviceId, name) {
      return entries.get(deviceId)?.defs.get(name);
    },

    devices() {
      return [...entries.values()].map((e) => {
        const info: DeviceInfo = {
          id: e.device.id,
          protocol: e.device.profile.protocol,
          connectionKey: e.channel.key,
          address: e.attached.address,
          vendor: e.device.profile.vendor,
          model: e.device.profile.model,
          points: e.defs.size,
        };
        if (e.device.tenant !== undefined) info.tenant = e.device.tenant;
        return info;
      });
    },

    health() {
      const out: Record<string, DeviceHealth> = {};
      for (const [id, e] of entries) {
        const h = e.channel.health();
        const ps = e.attached.stats();
        const dh: DeviceHealth = {
          available: ps.available,
          connected: h.connected,
          connectionKey: e.channel.key,
          address: e.attached.address,
          consecutiveFailures: ps.consecutiveFailures,
          stats: ps,
        };
        if (h.lastError) dh.lastError = h.lastError;
        if (h.latencyMs !== undefined) dh.latencyMs = h.latencyMs;
        out[id] = dh;
      }
      return out;
    },

    stats() {
      const s: DeviceManagerStats = {
        devices: entries.size,
        connections: channels.size,
        requests: 0,
        pointsRead: 0,
        failures: 0,
        readingsEmitted: 0,
        cycles: 0,
        dropped: 0,
        coalesced: 0,
        reconnects: 0,
        pointsPerSecond: 0,
      };
      for (const ch of channels.values()) {
        const h = ch.health();
        s.requests += h.requests;
        s.failures += h.failures;
        s.dropped += h.dropped;
        s.coalesced += h.coalesced;
        s.reconnects += h.reconnects;
      }
      for (const e of entries.values()) {
        const ps = e.attached.stats();
        s.pointsRead += ps.pointsRead;
        s.readingsEmitted += ps.readingsEmitted;
        s.cycles += ps.cycles;
        s.pointsPerSecond += ps.pointsPerSecond;
      }
      return s;
    },
  };
}
