/**
 * A greenhouse as a lumped thermal and moisture model, served as Modbus registers (see
 * greenhouse-map.ts). Heat: a 3 kW heater (about +2.4 degC/min at full power), the sun, and losses
 * to the outside through the walls and through air exchange (vent, fan, open door). Moisture:
 * absolute humidity rises with plant transpiration and is exchanged with outside air; relative
 * humidity follows from temperature, so heating dries the air. Actuators are the coils and the fan
 * speed register; the model reads them on every step, so a client write takes effect at once.
 *
 * The model's state is the source of truth for the sensors it computes (inside temperature and
 * humidity, heater energy). A test sets them with `override()` (or `setTemperature()` /
 * `setHumidity()`), or by writing the raw input register straight into the bank: the model notices
 * the foreign value before it next publishes or steps and adopts it. Either way the value holds
 * until physics moves it (the next step starts from it); a later client write of a coil no longer
 * puts the old value back. Outside temperature and humidity come from the weather and the status
 * word from the actuators, so raw writes to those are overwritten at the next publish.
 */
import { RegisterBank } from "../modbus/register-bank.js";
import { ExceptionCode } from "../modbus/pdu.js";
import { GREENHOUSE_DEFAULTS, GREENHOUSE_MAP as MAP } from "./greenhouse-map.js";
import { inSubsteps, type SimModel } from "./model.js";
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

/** Sensor values a test may override; they hold until physics moves them. */
export type GreenhouseSensor = "temperatureC" | "humidityRh" | "heaterEnergyKWh";

export const GREENHOUSE_SENSORS: readonly GreenhouseSensor[] = ["temperatureC", "humidityRh", "heaterEnergyKWh"];

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


export class GreenhouseModel implements SimModel {
  readonly kind = "greenhouse";
  readonly bank: RegisterBank;
  readonly #weather: Weather;
  #elapsedMs = 0;
  #temperature: number;
  #absHumidity: number;
  #energyKWh = 0;
  #alarm = false;
  /** The raw words last written into the sensor registers, to recognise foreign writes. */
  #published: { temperature: number; humidity: number; energy: number[] } | undefined;

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

  /**
   * Set a sensor value of the model (not only its register): it holds until physics moves it, and
   * the next step starts from it. Only the named reading changes: setting the temperature keeps the
   * relative humidity the sensor shows (physics takes over from there).
   */
  override(name: GreenhouseSensor, value: number): void {
    if (!Number.isFinite(value)) throw new RangeError(`${name} must be a finite number, got ${value}`);
    this.#adopt();
    switch (name) {
      case "temperatureC": {
        if (value < -3276.8 || value > 3276.7) throw new RangeError(`temperatureC must be -3276.8..3276.7, got ${value}`);
        const rh = this.#relativeHumidity();
        this.#temperature = value;
        this.#absHumidity = (saturation(value) * rh) / 100;
        break;
      }
      case "humidityRh":
        if (value < 0 || value > 100) throw new RangeError(`humidityRh must be 0..100, got ${value}`);
        this.#absHumidity = (saturation(this.#temperature) * value) / 100;
        break;
      case "heaterEnergyKWh":
        if (value < 0) throw new RangeError(`heaterEnergyKWh must be >= 0, got ${value}`);
        this.#energyKWh = value;
        break;
      default:
        throw new RangeError(`unknown greenhouse sensor "${String(name)}"; use ${GREENHOUSE_SENSORS.join(", ")}`);
    }
    this.#publish();
  }

  /** Shorthand for `override("temperatureC", degC)`. */
  setTemperature(degC: number): void {
    this.override("temperatureC", degC);
  }

  /** Shorthand for `override("humidityRh", rh)`. */
  setHumidity(rh: number): void {
    this.override("humidityRh", rh);
  }

  sync(): void {
    this.#publish();
  }

  snapshot(): Record<string, unknown> {
    return { ...this.state() };
  }

  /** The physical state, unrounded. */
  state(): GreenhouseState {
    this.#adopt();
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
    this.#adopt();
    inSubsteps(dtMs, (dt) => this.#integrate(dt));
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

  /** Take in sensor registers written straight into the bank since the model last published. */
  #adopt(): void {
    const last = this.#published;
    if (!last) return;
    const b = this.bank;
    const temperature = b.getWord("input", MAP.input.temperature);
    const humidity = b.getWord("input", MAP.input.humidity);
    const energy = b.getWords("input", MAP.input.heaterEnergy, 2);
    if (temperature !== last.temperature) {
      this.#temperature = b.readValue("input", MAP.input.temperature, "int16") / 10;
    }
    if (temperature !== last.temperature || humidity !== last.humidity) {
      // as with override(): the relative humidity the register shows is kept (or taken when written)
      this.#absHumidity = (saturation(this.#temperature) * Math.min(1000, humidity)) / 1000;
      last.temperature = temperature;
      last.humidity = humidity;
    }
    if (energy[0] !== last.energy[0] || energy[1] !== last.energy[1]) {
      const kWh = b.readValue("input", MAP.input.heaterEnergy, "float32", { wordOrder: "big" });
      if (Number.isFinite(kWh) && kWh >= 0) this.#energyKWh = kWh;
      last.energy = energy;
    }
  }

  /** Write the state into the input registers and the status word (after taking in foreign writes). */
  #publish(): void {
    this.#adopt();
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
    this.#published = {
      temperature: b.getWord("input", MAP.input.temperature),
      humidity: b.getWord("input", MAP.input.humidity),
      energy: b.getWords("input", MAP.input.heaterEnergy, 2),
    };
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
