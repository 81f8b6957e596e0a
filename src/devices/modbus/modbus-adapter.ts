/**
 * Modbus as a protocol plug-in: one ModbusDriver (socket or RTU bus, one request queue) per channel,
 * one DevicePoller per unit id on it.
 */
import { LosError } from "../../core/errors.js";
import { pointId, type Value } from "../../core/types.js";
import type { Connection, ModbusConnection } from "../../config/connection-schema.js";
import type { ModbusPointDef, PointDef } from "../../config/profile-schema.js";
import { resolvePoint, type CodecPoint } from "../codec.js";
import { DEFAULT_POLL_MS, DevicePoller, type PolledPoint } from "../poller.js";
import type { AttachedDevice, DeviceChannel, DeviceSink, ProtocolAdapter, ProtocolContext, ResolvedDevice } from "../protocol.js";
import { ModbusDriver } from "./modbus-driver.js";

function modbusConnection(c: Connection): ModbusConnection {
  if (c.type !== "modbus-tcp" && c.type !== "modbus-rtu") {
    throw new LosError("LOS_E_CONFIG_INVALID", `a ${c.type} connection cannot carry Modbus`);
  }
  return c;
}

class ModbusUnit implements AttachedDevice {
  readonly address: string;
  readonly #driver: ModbusDriver;
  readonly #unitId: number;
  readonly #poller: DevicePoller;
  readonly #codecs: Map<string, CodecPoint>;

  constructor(driver: ModbusDriver, unitId: number, poller: DevicePoller, codecs: Map<string, CodecPoint>) {
    this.#driver = driver;
    this.#unitId = unitId;
    this.#poller = poller;
    this.#codecs = codecs;
    this.address = `unit ${unitId}`;
  }

  start(): void {
    this.#poller.start();
  }

  stop(): Promise<void> {
    return this.#poller.stop();
  }

  async write(point: PointDef, value: Value): Promise<void> {
    const codec = this.#codecs.get(point.name);
    if (!codec || (codec.register !== "coil" && codec.register !== "holding")) {
      throw new LosError("LOS_E_WRITE_READ_ONLY", `${point.name} is a ${codec?.register ?? "unknown"} point: only coils and holding registers take writes`);
    }
    await this.#driver.write(this.#unitId, codec, value);
  }

  stats() {
    return this.#poller.stats();
  }
}

class ModbusChannel implements DeviceChannel {
  readonly key: string;
  readonly #driver: ModbusDriver;
  readonly #context: ProtocolContext;
  readonly #units = new Set<number>();

  constructor(connection: ModbusConnection, context: ProtocolContext) {
    this.#context = context;
    this.#driver = new ModbusDriver({
      connection,
      clock: context.clock,
      logger: context.logger,
      maxQueued: context.maxQueued,
      random: context.random,
    });
    this.key = this.#driver.key;
  }

  attach(device: ResolvedDevice, sink: DeviceSink): AttachedDevice {
    const { profile } = device;
    const unitId = modbusConnection(device.connection).unitId;
    if (profile.protocol !== "modbus") {
      throw new LosError("LOS_E_CONFIG_INVALID", `device ${device.id}: a ${profile.protocol} profile on a Modbus connection`);
    }
    if (this.#units.has(unitId)) {
      throw new LosError("LOS_E_CONFIG_INVALID", `two devices use unit id ${unitId} on ${this.key}`, { details: { device: device.id, key: this.key, unitId } });
    }
    this.#units.add(unitId);
    const d = profile.defaults ?? {};
    const codecs = new Map<string, CodecPoint>();
    const polled: PolledPoint[] = profile.points.map((def: ModbusPointDef) => {
      const codec = resolvePoint(def, d);
      codecs.set(def.name, codec);
      return { codec, id: pointId(device.id, def.name), pollMs: def.pollMs ?? d.pollMs ?? DEFAULT_POLL_MS, deadband: def.deadband ?? 0 };
    });
    const c = this.#context;
    const poller = new DevicePoller({
      deviceId: device.id,
      unitId,
      driver: this.#driver,
      points: polled,
      clock: c.clock,
      logger: c.logger,
      refreshMs: d.refreshMs,
      mergeReads: c.mergeReads,
      maxGap: d.maxGap,
      maxBlock: d.maxBlock,
      failuresBeforeUnavailable: c.failuresBeforeUnavailable,
      onReadings: sink.onReadings,
      onStatus: sink.onStatus,
    });
    return new ModbusUnit(this.#driver, unitId, poller, codecs);
  }

  open(signal: AbortSignal): Promise<void> {
    return this.#driver.open(signal);
  }

  close(): Promise<void> {
    return this.#driver.close();
  }

  health() {
    return this.#driver.health();
  }
}

export const modbusAdapter: ProtocolAdapter = {
  protocol: "modbus",
  createChannel: (connection, context) => new ModbusChannel(modbusConnection(connection), context),
};
