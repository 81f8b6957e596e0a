/**
 * Outside weather for physical models: a daily temperature sine (coldest before dawn, warmest mid
 * afternoon), relative humidity moving against temperature, sun following the hour of day, and
 * slow random noise and clouds from a seeded PRNG. Noise is drawn on a fixed one-minute grid and
 * interpolated, so the weather at a given time depends only on the seed and the start time, not on
 * how the simulation is stepped.
 */
import { Prng } from "../../src/core/prng.js";

export interface WeatherOptions {
  seed?: number;
  /** Epoch ms of simulated time zero (hour of day is taken in UTC). */
  startMs?: number;
  /** Daily mean temperature, degC (default 12). */
  meanC?: number;
  /** Half the daily swing, degC (default 6). */
  amplitudeC?: number;
  /** Standard deviation of the slow temperature noise, degC (default 0.6). */
  noiseC?: number;
  /** Mean outside relative humidity, % (default 75). */
  meanRh?: number;
}

export interface WeatherSample {
  temperatureC: number;
  humidityRh: number;
  /** Solar gain factor 0..1 (0 at night, 1 at a clear noon). */
  sun: number;
}

const KNOT_MS = 60_000;
const DAY_MS = 86_400_000;
const NOISE_CORRELATION = Math.exp(-1 / 15); // ~15 minutes

interface Knot {
  noise: number;
  cloud: number;
}

export class Weather {
  readonly #prng: Prng;
  readonly #startMs: number;
  readonly #mean: number;
  readonly #amplitude: number;
  readonly #noise: number;
  readonly #meanRh: number;
  /** Knots from index `#base` on; older ones are dropped as time moves forward. */
  #knots: Knot[] = [];
  #base = 0;

  constructor(options: WeatherOptions = {}) {
    this.#prng = new Prng(options.seed ?? 1);
    this.#startMs = options.startMs ?? Date.UTC(2026, 0, 1);
    this.#mean = options.meanC ?? 12;
    this.#amplitude = options.amplitudeC ?? 6;
    this.#noise = options.noiseC ?? 0.6;
    this.#meanRh = options.meanRh ?? 75;
  }

  /** The weather `elapsedMs` after the start (elapsed >= 0). */
  at(elapsedMs: number): WeatherSample {
    const t = Math.max(0, elapsedMs);
    const k = Math.floor(t / KNOT_MS);
    const f = (t - k * KNOT_MS) / KNOT_MS;
    const a = this.#knot(k);
    const b = this.#knot(k + 1);
    const noise = a.noise + (b.noise - a.noise) * f;
    const cloud = a.cloud + (b.cloud - a.cloud) * f;
    const hour = (((this.#startMs + t) % DAY_MS) + DAY_MS) % DAY_MS / 3_600_000;
    const daily = Math.sin((2 * Math.PI * (hour - 9)) / 24); // -1 at 03:00, +1 at 15:00
    const temperatureC = this.#mean + this.#amplitude * daily + noise;
    const humidityRh = clamp(this.#meanRh - 12 * daily - 2 * noise, 20, 100);
    const sun = Math.max(0, Math.sin((2 * Math.PI * (hour - 6)) / 24)) * cloud;
    return { temperatureC, humidityRh, sun };
  }

  /** Knot `index` (earlier than the oldest kept knot: the oldest kept). */
  #knot(index: number): Knot {
    if (this.#knots.length > 64 && index - this.#base > 32) {
      const drop = index - this.#base - 2;
      this.#knots = this.#knots.slice(drop);
      this.#base += drop;
    }
    const i = Math.max(0, index - this.#base);
    while (this.#knots.length <= i) {
      const prev = this.#knots[this.#knots.length - 1];
      const rho = NOISE_CORRELATION;
      const noise = prev
        ? rho * prev.noise + this.#noise * Math.sqrt(1 - rho * rho) * this.#prng.gaussian()
        : this.#noise * this.#prng.gaussian();
      const cloud = prev ? clamp(prev.cloud + 0.05 * this.#prng.gaussian(), 0.3, 1) : this.#prng.uniform(0.5, 1);
      this.#knots.push({ noise, cloud });
    }
    return this.#knots[i] as Knot;
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
