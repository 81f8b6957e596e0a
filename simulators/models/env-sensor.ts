/**
 * The air a small serial sensor measures: temperature and relative humidity from the seeded
 * weather (daily cycle plus slow noise), and barometric pressure as a slow mean-reverting walk.
 * Shared by the command, binary-frame and CSV/JSON sensors and the weather station.
 */
import { Prng } from "../../src/core/prng.js";
import { Weather } from "./weather.js";

export interface EnvSensorOptions {
  seed?: number;
  /** Epoch ms of simulated time zero (default 2026-01-01T00:00Z). */
  startMs?: number;
  /** Daily mean temperature, degC (default 12). */
  meanC?: number;
  /** Mean sea-level pressure, hPa (default 1013.25). */
  meanPressureHpa?: number;
}

export interface EnvReading {
  temperatureC: number;
  humidityRh: number;
  pressureHpa: number;
}

/** How fast pressure returns to its mean (1/s) and how much it wanders (hPa/sqrt(s)). */
const PRESSURE_REVERSION = 1 / 7200;
const PRESSURE_NOISE = 0.02;

export class EnvSensorModel {
  readonly #weather: Weather;
  readonly #prng: Prng;
  readonly #meanPressure: number;
  #elapsedMs = 0;
  #pressure: number;
  #override: Partial<EnvReading> = {};

  constructor(options: EnvSensorOptions = {}) {
    const seed = options.seed ?? 1;
    this.#weather = new Weather({ seed, startMs: options.startMs, meanC: options.meanC });
    this.#prng = new Prng(seed * 7919 + 3);
    this.#meanPressure = options.meanPressureHpa ?? 1013.25;
    this.#pressure = this.#meanPressure + this.#prng.uniform(-3, 3);
  }

  step(dtMs: number): void {
    if (!(dtMs > 0)) return;
    this.#elapsedMs += dtMs;
    const dt = dtMs / 1000;
    this.#pressure += (this.#meanPressure - this.#pressure) * Math.min(1, PRESSURE_REVERSION * dt);
    this.#pressure += PRESSURE_NOISE * Math.sqrt(dt) * this.#prng.gaussian();
  }

  /** Pin readings to fixed values (tests, demos); `clear()` returns to the model. */
  override(values: Partial<EnvReading>): void {
    this.#override = { ...this.#override, ...values };
  }

  clear(): void {
    this.#override = {};
  }

  read(): EnvReading {
    const w = this.#weather.at(this.#elapsedMs);
    return {
      temperatureC: this.#override.temperatureC ?? w.temperatureC,
      humidityRh: this.#override.humidityRh ?? w.humidityRh,
      pressureHpa: this.#override.pressureHpa ?? this.#pressure,
    };
  }

  get elapsedMs(): number {
    return this.#elapsedMs;
  }
}

/** Dew point (degC) by the Magnus formula (Sonntag constants). */
export function dewPointC(temperatureC: number, humidityRh: number): number {
  const b = 17.62;
  const c = 243.12;
  const gamma = Math.log(Math.max(1, humidityRh) / 100) + (b * temperatureC) / (c + temperatureC);
  return (c * gamma) / (b - gamma);
}
