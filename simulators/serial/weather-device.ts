/**
 * The simulated weather station on the wire, talker WI, as Airmar WeatherStation instruments
 * send: MWV (true wind angle and speed in m/s), MDA (meteorological composite: pressure,
 * temperature, humidity, dew point, wind) and XDR (transducers: air temperature, humidity,
 * barometric pressure in bar).
 */
import { WeatherStationModel, type WeatherStationOptions, type WeatherStationReading } from "../models/weather-station.js";
import { fixed, nmeaSentence } from "./nmea-encoder.js";
import type { PeriodicDevice, SerialMessage } from "./serial-message.js";

const INHG_PER_HPA = 1 / 33.8639;
const KNOTS_PER_MPS = 3600 / 1852;

export class WeatherStationDevice implements PeriodicDevice {
  readonly kind = "weather";
  readonly model: WeatherStationModel;

  constructor(options: WeatherStationOptions = {}) {
    this.model = new WeatherStationModel(options);
  }

  step(dtMs: number): void {
    this.model.step(dtMs);
  }

  emit(): SerialMessage[] {
    return weatherSentences(this.model.read());
  }

  snapshot(): Record<string, unknown> {
    return this.model.snapshot();
  }
}

export function weatherSentences(r: WeatherStationReading, talker = "WI"): SerialMessage[] {
  const dir = fixed(r.windDirectionDeg, 1);
  return [
    nmeaSentence(`${talker}MWV`, [dir, "T", fixed(r.windSpeedMps, 1), "M", "A"]),
    nmeaSentence(`${talker}MDA`, [
      fixed(r.pressureHpa * INHG_PER_HPA, 2),
      "I",
      fixed(r.pressureHpa / 1000, 4),
      "B",
      fixed(r.temperatureC, 1),
      "C",
      undefined,
      "C",
      fixed(r.humidityRh, 1),
      undefined,
      fixed(r.dewPointC, 1),
      "C",
      dir,
      "T",
      undefined,
      "M",
      fixed(r.windSpeedMps * KNOTS_PER_MPS, 1),
      "N",
      fixed(r.windSpeedMps, 1),
      "M",
    ]),
    nmeaSentence(`${talker}XDR`, [
      "C",
      fixed(r.temperatureC, 1),
      "C",
      "AIRTEMP",
      "H",
      fixed(r.humidityRh, 1),
      "P",
      "RHUM",
      "P",
      fixed(r.pressureHpa / 1000, 4),
      "B",
      "BARO",
    ]),
  ];
}
