/** Builds the device behind a serial simulator from its model name. */
import { LosError } from "../../src/core/errors.js";
import type { EnvSensorOptions } from "../models/env-sensor.js";
import type { GpsOptions } from "../models/gps.js";
import type { WeatherStationOptions } from "../models/weather-station.js";
import { BinarySensorDevice } from "./binary-sensor.js";
import { CommandSensorDevice, type CommandSensorOptions } from "./command-sensor.js";
import { GpsDevice } from "./gps-device.js";
import { LineSensorDevice } from "./line-sensor.js";
import { SERIAL_MODEL_KINDS, type SerialDevice, type SerialModelKind } from "./serial-message.js";
import { WeatherStationDevice } from "./weather-device.js";

export interface SerialDeviceOptions {
  seed: number;
  startMs: number;
  gps?: Omit<GpsOptions, "seed">;
  weather?: Omit<WeatherStationOptions, "seed" | "startMs">;
  sensor?: Omit<EnvSensorOptions, "seed" | "startMs">;
  command?: Omit<CommandSensorOptions, "seed" | "startMs">;
}

export function createSerialDevice(kind: SerialModelKind, o: SerialDeviceOptions): SerialDevice {
  const env = { seed: o.seed, startMs: o.startMs };
  switch (kind) {
    case "gps":
      return new GpsDevice({ ...o.gps, seed: o.seed });
    case "weather":
      return new WeatherStationDevice({ ...o.weather, ...env });
    case "command":
      return new CommandSensorDevice({ ...o.sensor, ...o.command, ...env });
    case "binary":
      return new BinarySensorDevice({ ...o.sensor, ...env });
    case "csv":
    case "json":
      return new LineSensorDevice(kind, { ...o.sensor, ...env });
    default:
      throw new LosError("LOS_E_SIM_START", `unknown serial simulator model "${String(kind)}"; use one of ${SERIAL_MODEL_KINDS.join(", ")}`);
  }
}
