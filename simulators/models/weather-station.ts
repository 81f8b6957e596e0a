/**
 * A weather station mast: the air from the shared environment model (temperature, humidity,
 * pressure) plus wind: speed as a mean-reverting gusty process, direction as a slow random walk.
 */
import { Prng } from "../../src/core/prng.js";
import { EnvSensorModel, dewPointC, type EnvSensorOptions } from "./env-sensor.js";

export interface WeatherStationOptions extends EnvSensorOptions {
  /** Mean wind speed, m/s (default 4). */
  meanWindMps?: number;
  /** Start wind direction, degrees true, from where it blows (default 240). */
  windDirectionDeg?: number;
}

export interface WeatherStationReading {
  temperatureC: number;
  humidityRh: number;
  dewPointC: number;
  pressureHpa: number;
  windSpeedMps: number;
  /** Degrees true the wind blows from. */
  windDirectionDeg: number;
}

export class WeatherStationModel {
  readonly kind = "weather-station";
  readonly air: EnvSensorModel;
  readonly #prng: Prng;
  readonly #meanWind: number;
  #wind: number;
  #direction: number;

  constructor(options: WeatherStationOptions = {}) {
    this.air = new EnvSensorModel(options);
    this.#prng = new Prng((options.seed ?? 1) * 31 + 17);
    this.#meanWind = options.meanWindMps ?? 4;
    this.#wind = this.#meanWind;
    this.#direction = options.windDirectionDeg ?? 240;
  }

  step(dtMs: number): void {
    if (!(dtMs > 0)) return;
    this.air.step(dtMs);
    const dt = dtMs / 1000;
    // Gusts: relaxes to the mean within ~10 s, noise proportional to the mean.
    this.#wind += (this.#meanWind - this.#wind) * Math.min(1, dt / 10) + 0.35 * this.#meanWind * Math.sqrt(Math.min(dt, 10) / 10) * this.#prng.gaussian();
    this.#wind = Math.max(0, this.#wind);
    this.#direction = (((this.#direction + 2 * Math.sqrt(dt) * this.#prng.gaussian()) % 360) + 360) % 360;
  }

  read(): WeatherStationReading {
    const a = this.air.read();
    return { ...a, dewPointC: dewPointC(a.temperatureC, a.humidityRh), windSpeedMps: this.#wind, windDirectionDeg: this.#direction };
  }

  snapshot(): Record<string, unknown> {
    return { ...this.read() };
  }
}
