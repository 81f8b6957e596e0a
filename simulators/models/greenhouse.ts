/**
 * A greenhouse as a lumped thermal and moisture model, served as Modbus registers (see
 * greenhouse-map.ts). Heat: a 3 kW heater (about +2.4 degC/min at full power), the sun, and losses
 * to the outside through the walls and through air exchange (vent, fan, open door). Moisture:
 * absolute humidity rises with plant transpiration and is exchanged with outside air; relative
 * humidity follows from temperature, so heating dries the air. Actuators are the coils and the fan
 * speed register; the model reads them on every step, so a client write takes effect at once.
 */
import { RegisterBank } from "../modbus/register-bank.js";
import { ExceptionCode } from "../modbus/pdu.js";
import { GREENHOUSE_DEFAULTS, GREENHOUSE_MAP as MAP } from "./greenhouse-map.js";
import type { SimModel } from "./model.js";
import { Weather, type WeatherOptions } from "./weather.js";

export interface GreenhouseOptions {
  /** Seed of the weather (default 1). */
  seed?: number;
  /** Epoch ms at simulated time zero: sets the hour of day (default 2026-01-01T00:00Z). */
  startMs?: number;
  /** Initial inside temperature, degC (default 20). */
  temperatureC?: number;
  /** Initial inside relative humidity, % (default 65). */
  humidityRh?: number;
  weather?: Omit<WeatherOptions, "seed" | "startMs">;
}

export interface GreenhouseState {
  elapsedMs: number;
  temperatureC: number;
  humidityRh: number;
  outsideTemperatureC: number;
  outsideHumidityRh: number;
  heaterEnergyKWh: number;
  heater: boolean;
  fan: boolean;
  fanSpeedPct: number;
  vent: boolean;
  door: boolean;
  highTempAlarm: boolean;
}

/** Physical constants (per second). */
export const GREENHOUSE_PHYSICS = {
  heaterKw: 3,
  /** Temperature rise per second from the heater at full power, degC/s. */
  heaterRate: 0.04,
  /** Peak solar gain, degC/s. */
  solarRate: 0.012,
  /** Air exchange rates, 1/s: walls (always), vent open, fan at 100 %, door open. */
  walls: 1 / 1200,
  vent: 1 / 360,
  fan: 1 / 300,
  door: 1 / 400,
  /** Plant transpiration, g/m3/s, at a clear noon (a fifth of it at night). */
  transpiration: 0.0015,
} as const;

const MAX_SUBSTEP_MS = 1000;

export class GreenhouseModel implements SimModel {
  readonly kind = "greenhouse";
  readonly bank: RegisterBank;
  readonly #weather: Weather;
  #elapsedMs = 0;
  #temperature: number;
  #absHumidity: number;
  #energyKWh = 0;
  #alarm = false;

  constructor(options: GreenhouseOptions = {}) {
    this.#weather = new Weather({ ...options.weather, seed: options.seed ?? 1, startMs: options.startMs ?? Date.UTC(2026, 0, 1) });
    this.#temperature = options.temperatureC ?? 20;
    this.#absHumidity = (saturation(this.#temperature) * (options.humidityRh ?? 65)) / 100;
    this.bank = new RegisterBank({
      ranges: {
        coil: [{ start: 0, count: 3 }],
        discrete: [{ start: 0, count: 1 }],
        input: [{ start: 0, count: 7 }],
        holding: [{ start: 0, count: 3 }],
      },
    });
    this.bank.writeValue("holding", MAP.holding.setpoint, "int16", GREENHOUSE_DEFAULTS.setpoint);
    this.bank.writeValue("holding", MAP.holding.fanSpeed, "uint16", GREENHOUSE_DEFAULTS.fanSpeed);
    this.bank.writeValue("holding", MAP.holding.alarmLimit, "int16", GREENHOUSE_DEFAULTS.alarmLimit);
    this.bank.setWriteGuard((kind, address, values) => (kind === "holding" ? guardHolding(address, values) : undefined));
    this.bank.onWrite(() => this.#publish());
    this.#publish();
  }

  /** Open or close the door (discrete input 0); the model has no other way to know. */
  setDoor(open: boolean): void {
    this.bank.setBit("discrete", MAP.discrete.door, open);
    this.#publish();
  }

  /** The physical state, unrounded. */
  state(): GreenhouseState {
    const outside = this.#weather.at(this.#elapsedMs);
    const act = this.#actuators();
    return {
      elapsedMs: this.#elapsedMs,
      temperatureC: this.#temperature,
      humidityRh: this.#relativeHumidity(),
      outsideTemperatureC: outside.temperatureC,
      outsideHumidityRh: outside.humidityRh,
      heaterEnergyKWh: this.#energyKWh,
      heater: act.heater,
      fan: act.fan,
      fanSpeedPct: act.fanSpeed,
      vent: act.vent,
      door: act.door,
      highTempAlarm: this.#alarm,
    };
  }

  step(dtMs: number): void {
    if (!(dtMs > 0)) return;
    let left = dtMs;
    while (left > 0) {
      const dt = Math.min(MAX_SUBSTEP_MS, left);
      this.#integrate(dt);
      left -= dt;
    }
    this.#publish();
  }

  #integrate(dtMs: number): void {
    const P = GREENHOUSE_PHYSICS;
    const dt = dtMs / 1000;
    const outside = this.#weather.at(this.#elapsedMs + dtMs / 2);
    const act = this.#actuators();
    const exchange =
      P.walls + (act.vent ? P.vent : 0) + (act.fan ? (P.fan * act.fanSpeed) / 100 : 0) + (act.door ? P.door : 0);
    // Exponential decay towards outside (exact for the linear part), then the sources.
    const decay = Math.exp(-exchange * dt);
    const sources = (act.heater ? P.heaterRate : 0) + P.solarRate * outside.sun;
    this.#temperature = outside.temperatureC + (this.#temperature - outside.temperatureC) * decay + sources * dt;

    const outsideAbs = (saturation(outside.temperatureC) * outside.humidityRh) / 100;
    this.#absHumidity = outsideAbs + (this.#absHumidity - outsideAbs) * decay;
    this.#absHumidity += P.transpiration * (0.2 + 0.8 * outside.sun) * dt;
    this.#absHumidity = Math.min(this.#absHumidity, saturation(this.#temperature)); // condensation

    if (act.heater) this.#energyKWh += (P.heaterKw * dtMs) / 3_600_000;
    this.#elapsedMs += dtMs;
  }

  #actuators(): { heater: boolean; fan: boolean; fanSpeed: number; vent: boolean; door: boolean } {
    return {
      heater: this.bank.getBit("coil", MAP.coil.heater),
      fan: this.bank.getBit("coil", MAP.coil.fan),
      fanSpeed: Math.min(100, this.bank.getWord("holding", MAP.holding.fanSpeed)),
      vent: this.bank.getBit("coil", MAP.coil.vent),
      door: this.bank.getBit("discrete", MAP.discrete.door),
    };
  }

  #relativeHumidity(): number {
    return Math.min(100, (100 * this.#absHumidity) / saturation(this.#temperature));
  }

  /** Write the state into the input registers and the status word. */
  #publish(): void {
    const outside = this.#weather.at(this.#elapsedMs);
    const act = this.#actuators();
    const limit = this.bank.readValue("holding", MAP.holding.alarmLimit, "int16") / 10;
    if (this.#temperature >= limit) this.#alarm = true;
    else if (this.#temperature < limit - 1) this.#alarm = false;

    const b = this.bank;
    b.writeValue("input", MAP.input.temperature, "int16", clamp(Math.round(this.#temperature * 10), -32768, 32767));
    b.writeValue("input", MAP.input.humidity, "uint16", Math.round(this.#relativeHumidity() * 10));
    b.writeValue("input", MAP.input.outsideTemperature, "int16", clamp(Math.round(outside.temperatureC * 10), -32768, 32767));
    b.writeValue("input", MAP.input.outsideHumidity, "uint16", Math.round(outside.humidityRh * 10));
    b.writeValue("input", MAP.input.heaterEnergy, "float32", this.#energyKWh, { wordOrder: "big" });
    const bits = MAP.statusBits;
    const status =
      (act.heater ? 1 << bits.heaterOn : 0) |
      (act.fan ? 1 << bits.fanOn : 0) |
      (act.vent ? 1 << bits.ventOpen : 0) |
      (this.#alarm ? 1 << bits.highTempAlarm : 0) |
      (act.door ? 1 << bits.doorOpen : 0);
    b.setWord("input", MAP.input.status, status);
  }
}

/** Refuse out-of-range holding writes with exception 03, as a real controller does. */
function guardHolding(address: number, values: readonly number[]): number | undefined {
  for (const [i, raw] of values.entries()) {
    const signed = raw >= 0x8000 ? raw - 0x10000 : raw;
    const a = address + i;
    if (a === MAP.holding.fanSpeed && raw > 100) return ExceptionCode.ILLEGAL_DATA_VALUE;
    if (a === MAP.holding.setpoint && (signed < -400 || signed > 800)) return ExceptionCode.ILLEGAL_DATA_VALUE;
    if (a === MAP.holding.alarmLimit && (signed < 0 || signed > 800)) return ExceptionCode.ILLEGAL_DATA_VALUE;
  }
  return undefined;
}

/** Saturation absolute humidity of air at `t` degC, g/m3 (Magnus formula). */
function saturation(t: number): number {
  return (6.112 * Math.exp((17.67 * t) / (t + 243.5)) * 100 * 2.1674) / (273.15 + t);
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
