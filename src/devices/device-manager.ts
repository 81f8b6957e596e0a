/**
 * Device manager: owns the drivers and pollers of a gateway. Devices that share a connection key
 * share one driver (one socket or serial bus, one request queue); each device gets a poller. Writes
 * are validated here (device, point, writability, value type) and go to the driver ahead of polls;
 * the safety envelope is applied by the caller before (src/devices/envelope.ts).
 */
import { setMaxListeners } from "node:events";
import { systemClock, type Clock } from "../core/clock.js";
import { LosError, isLosError } from "../core/errors.js";
import { pointId, silentLogger, type Logger, type Reading, type Value } from "../core/types.js";
import { connectionKey, type ModbusRtuConnection, type ModbusTcpConnection } from "../config/connection-schema.js";
import type { DeviceProfile, PointDef } from "../config/profile-schema.js";
import { resolvePoint, type CodecPoint } from "./codec.js";
import type { Driver, DriverError } from "./driver.js";
import { ModbusDriver } from "./modbus/modbus-driver.js";
import { DEFAULT_POLL_MS, DevicePoller, type DeviceStatus, type PolledPoint, type PollerStats } from "./poller.js";

export type { DeviceStatus } from "./poller.js";

export interface ResolvedDevice {
  id: string;
  tenant?: string;
  profile: DeviceProfile;
  connection: ModbusTcpConnection | ModbusRtuConnection;
}

export interface DeviceManagerOptions {
  devices: readonly ResolvedDevice[];
  clock?: Clock;
  logger?: Logger;
  /** one call per device per poll cycle with the readings to publish */
  onReadings: (deviceId: string, readings: Reading[]) => void;
  /** availability changes */
  onStatus: (deviceId: string, status: DeviceStatus) => void;
  /** false: one request per point instead of merged block reads (benchmark comparison) */
  mergeReads?: boolean;
  /** consecutive failed cycles before a device is unavailable (default 3) */
  failuresBeforeUnavailable?: number;
  /** polls allowed to wait per connection before the oldest is dropped (default 64) */
  maxQueued?: number;
  /** jitter source for reconnect backoff (default Math.random) */
  random?: () => number;
  /** build a driver for a connection (default: ModbusDriver); for other transports and tests */
  createDriver?: (connection: ResolvedDevice["connection"]) => Driver;
}

export interface DeviceInfo {
  id: string;
  tenant?: string;
  connectionKey: string;
  unitId: number;
  vendor: string;
  model: string;
  points: number;
}

export interface DeviceHealth {
  available: boolean | undefined;
  connected: boolean;
  connectionKey: string;
  unitId: number;
  lastError?: DriverError;
  latencyMs?: number;
  consecutiveFailures: number;
  poller: PollerStats;
}

export interface DeviceManagerStats {
  devices: number;
  connections: number;
  /** requests sent on the wire, all connections */
  requests: number;
  /** point values decoded from answers */
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
  key: string;
  unitId: number;
  driver: Driver;
  poller: DevicePoller;
  defs: Map<string, { def: PointDef; codec: CodecPoint }>;
}

export function createDeviceManager(options: DeviceManagerOptions): DeviceManager {
  const clock = options.clock ?? systemClock;
  const log = (options.logger ?? silentLogger).child({ component: "devices" });
  const drivers = new Map<string, Driver>();
  const entries = new Map<string, DeviceEntry>();
  const unitsByKey = new Map<string, Set<number>>();
  let started = false;
  let stopped = false;
  const abort = new AbortController();

  for (const device of options.devices) {
    if (entries.has(device.id)) {
      throw new LosError("LOS_E_CONFIG_INVALID", `device id ${device.id} is configured twice`, { details: { device: device.id } });
    }
    const key = connectionKey(device.connection);
    const unitId = device.connection.unitId;
    const units = unitsByKey.get(key) ?? new Set<number>();
    if (units.has(unitId)) {
      throw new LosError("LOS_E_CONFIG_INVALID", `two devices use unit id ${unitId} on ${key}`, { details: { device: device.id, key, unitId } });
    }
    units.add(unitId);
    unitsByKey.set(key, units);

    let driver = drivers.get(key);
    if (!driver) {
      driver = options.createDriver
        ? options.createDriver(device.connection)
        : new ModbusDriver({ connection: device.connection, clock, logger: log, maxQueued: options.maxQueued, random: options.random });
      drivers.set(key, driver);
    }

    const profile = device.profile;
    const d = profile.defaults ?? {};
    const defs = new Map<string, { def: PointDef; codec: CodecPoint }>();
    const polled: PolledPoint[] = [];
    for (const def of profile.points) {
      if (defs.has(def.name)) {
        throw new LosError("LOS_E_PROFILE_INVALID", `point ${def.name} appears twice in ${profile.vendor}/${profile.model}`);
      }
      const codec = resolvePoint(def, d);
      defs.set(def.name, { def, codec });
      polled.push({ codec, id: pointId(device.id, def.name), pollMs: def.pollMs ?? d.pollMs ?? DEFAULT_POLL_MS, deadband: def.deadband ?? 0 });
    }
    const poller = new DevicePoller({
      deviceId: device.id,
      unitId,
      driver,
      points: polled,
      clock,
      logger: log,
      refreshMs: d.refreshMs,
      mergeReads: options.mergeReads,
      maxGap: d.maxGap,
      maxBlock: d.maxBlock,
      failuresBeforeUnavailable: options.failuresBeforeUnavailable,
      onReadings: options.onReadings,
      onStatus: options.onStatus,
    });
    entries.set(device.id, { device, key, unitId, driver, poller, defs });
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
      setMaxListeners(Math.max(10, drivers.size + 1), abort.signal);
      await Promise.all([...drivers.values()].map((drv) => drv.open(abort.signal)));
      if (stopped) return;
      for (const e of entries.values()) e.poller.start();
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      // stop scheduling first, then close the drivers (which fails anything still queued), and only
      // then wait for the cycles in progress: they may be waiting on the queue
      const pollers = [...entries.values()].map((e) => e.poller.stop());
      abort.abort();
      await Promise.all([...drivers.values()].map((drv) => drv.close()));
      await Promise.all(pollers);
    },

    async write(deviceId, pointName, value) {
      const e = entry(deviceId);
      const p = e.defs.get(pointName);
      if (!p) {
        throw new LosError("LOS_E_POINT_UNKNOWN", `no point ${pointName} on ${deviceId}`, { details: { device: deviceId, point: pointName } });
      }
      const id = pointId(deviceId, pointName);
      if (p.def.writable !== true || (p.codec.register !== "coil" && p.codec.register !== "holding")) {
        throw new LosError("LOS_E_WRITE_READ_ONLY", `${id} is read-only`, { details: { point: id } });
      }
      const wantsBool = p.codec.type === "bool";
      if (wantsBool ? typeof value !== "boolean" : typeof value !== "number" || !Number.isFinite(value)) {
        throw new LosError("LOS_E_WRITE_TYPE", `${id} takes a ${wantsBool ? "boolean" : "finite number"}, got ${JSON.stringify(value)}`, {
          details: { point: id, value },
        });
      }
      if (stopped) throw new LosError("LOS_E_DRIVER_CLOSED", `the device manager was stopped; ${id} not written`);
      try {
        await e.driver.write(e.unitId, p.codec, value);
      } catch (err) {
        if (isLosError(err, "LOS_E_CODEC") || isLosError(err, "LOS_E_DRIVER_CLOSED")) throw err;
        const code = isLosError(err) ? err.code : "LOS_E_INTERNAL";
        throw new LosError("LOS_E_WRITE_FAILED", `${id} not written: ${code}: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
          details: { point: id, value, deviceError: code, ...(isLosError(err) ? err.details : {}) },
        });
      }
    },

    point(deviceId, name) {
      return entries.get(deviceId)?.defs.get(name)?.def;
    },

    devices() {
      return [...entries.values()].map((e) => {
        const info: DeviceInfo = {
          id: e.device.id,
          connectionKey: e.key,
          unitId: e.unitId,
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
        const h = e.driver.health();
        const ps = e.poller.stats();
        const dh: DeviceHealth = {
          available: ps.available,
          connected: h.connected,
          connectionKey: e.key,
          unitId: e.unitId,
          consecutiveFailures: ps.consecutiveFailures,
          poller: ps,
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
        connections: drivers.size,
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
      for (const drv of drivers.values()) {
        const h = drv.health();
        s.requests += h.requests;
        s.failures += h.failures;
        s.dropped += h.dropped;
        s.coalesced += h.coalesced;
        s.reconnects += h.reconnects;
      }
      for (const e of entries.values()) {
        const ps = e.poller.stats();
        s.pointsRead += ps.pointsRead;
        s.readingsEmitted += ps.readingsEmitted;
        s.cycles += ps.cycles;
        s.pointsPerSecond += ps.pointsPerSecond;
      }
      return s;
    },
  };
}
