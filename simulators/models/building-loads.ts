/**
 * A building's flexible loads behind one site meter, served as Modbus registers (building-loads-
 * map.ts): a 4.5 kW water heater on a 200 l tank with its thermostat, a 3.2 kW HVAC compressor
 * cooling a room against a hot afternoon, a 32 A single-phase EV charger filling a 60 kWh battery,
 * a 1.1 kW pool pump counting its filtration hours, a 0.2 kW freezer and the rest of the house
 * (about 1.4 kW, wandering a little with the seed). The meter shows the sum; switching a load off
 * (or turning the charger down) lowers it at once, and the comfort signals (tank, room, state of
 * charge, filtration, freezer) drift the way the physics says.
 *
 * Comfort values are state: a test or the control API may write their registers raw (then call
 * `sync()`) and the model continues from them. Powers and the meter are derived and rewritten.
 */
import { ExceptionCode } from "../modbus/pdu.js";
import { RegisterBank } from "../modbus/register-bank.js";
import { Prng } from "../../src/core/prng.js";
import { BUILDING_LOADS_DEFAULTS as D, BUILDING_LOADS_INPUT_COUNT, BUILDING_LOADS_MAP as MAP, BUILDING_LOADS_PHYSICS as P } from "./building-loads-map.js";
import { inSubsteps, type SimModel } from "./model.js";

export interface BuildingLoadsOptions {
  /** Seed of the base-load wander (default 1). */
  seed?: number;
  tankTemperatureC?: number;
  roomTemperatureC?: number;
  /** constant outside temperature, degC (default 32: a hot afternoon) */
  outsideTemperatureC?: number;
  evSocPct?: number;
  poolFilteredHours?: number;
  freezerTemperatureC?: number;
  /** initial EV charging current, A (default 32) */
  evCurrentA?: number;
  /** which loads start switched on (default all) */
  on?: Partial<Record<"waterHeater" | "hvac" | "poolPump" | "freezer", boolean>>;
}

/** Comfort values kept as state (adopted from raw register writes). */
const STATE_KEYS = ["tankTemperatureC", "roomTemperatureC", "evSocPct", "poolFilteredHours", "freezerTemperatureC", "siteEnergyKWh"] as const;
type StateKey = (typeof STATE_KEYS)[number];
const STATE_REGISTER: Record<StateKey, number> = {
  tankTemperatureC: MAP.input.tankTemperature,
  roomTemperatureC: MAP.input.roomTemperature,
  evSocPct: MAP.input.evSoc,
  poolFilteredHours: MAP.input.poolFilteredHours,
  freezerTemperatureC: MAP.input.freezerTemperature,
  siteEnergyKWh: MAP.input.siteEnergy,
};

export interface LoadPowers {
  waterHeaterKw: number;
  hvacKw: number;
  evKw: number;
  poolPumpKw: number;
  freezerKw: number;
  baseKw: number;
  siteKw: number;
}

export interface BuildingLoadsState extends LoadPowers, Record<StateKey, number> {
  elapsedMs: number;
  outsideTemperatureC: number;
  tankSetpointC: number;
  /** the element is heating (enabled and the thermostat calls for heat) */
  tankHeating: boolean;
  evCurrentA: number;
  waterHeater: boolean;
  hvac: boolean;
  poolPump: boolean;
  freezer: boolean;
}

const F32 = { wordOrder: "big" } as const;

export class BuildingLoadsModel implements SimModel {
  readonly kind = "building-loads";
  readonly bank: RegisterBank;
  readonly #prng: Prng;
  readonly #outside: number;
  #elapsedMs = 0;
  #state: Record<StateKey, number>;
  #heating = false;
  #wander = 0;
  #published = new Map<StateKey, string>();

  constructor(options: BuildingLoadsOptions = {}) {
    this.#prng = new Prng(options.seed ?? 1);
    this.#outside = options.outsideTemperatureC ?? D.outsideTemperatureC;
    this.#state = {
      tankTemperatureC: options.tankTemperatureC ?? D.tankTemperatureC,
      roomTemperatureC: options.roomTemperatureC ?? D.roomTemperatureC,
      evSocPct: clamp(options.evSocPct ?? D.evSocPct, 0, 100),
      poolFilteredHours: Math.max(0, options.poolFilteredHours ?? D.poolFilteredHours),
      freezerTemperatureC: options.freezerTemperatureC ?? D.freezerTemperatureC,
      siteEnergyKWh: 0,
    };
    this.bank = new RegisterBank({
      ranges: { coil: [{ start: 0, count: 4 }], discrete: [], input: [{ start: 0, count: BUILDING_LOADS_INPUT_COUNT }], holding: [{ start: 0, count: 2 }] },
    });
    const on = { waterHeater: true, hvac: true, poolPump: true, freezer: true, ...options.on };
    for (const name of ["waterHeater", "hvac", "poolPump", "freezer"] as const) this.bank.setBit("coil", MAP.coil[name], on[name]);
    const current = options.evCurrentA ?? D.evCurrentA;
    if (!(Number.isInteger(current) && current >= 0 && current <= P.evMaxA)) throw new RangeError(`evCurrentA must be an integer 0..${P.evMaxA}, got ${current}`);
    this.bank.setWord("holding", MAP.holding.evCurrent, current);
    this.bank.writeValue("holding", MAP.holding.tankSetpoint, "int16", D.tankSetpointC * 10);
    this.#heating = on.waterHeater && this.#state.tankTemperatureC < D.tankSetpointC;
    this.bank.setWriteGuard((kind, address, values) => (kind === "holding" ? guardHolding(address, values) : undefined));
    this.bank.onWrite(() => this.#publish());
    this.#publish();
  }

  sync(): void {
    this.#publish();
  }

  snapshot(): Record<string, unknown> {
    return { ...this.state() };
  }

  state(): BuildingLoadsState {
    this.#adopt();
    const c = this.#controls();
    return {
      elapsedMs: this.#elapsedMs,
      outsideTemperatureC: this.#outside,
      tankSetpointC: c.tankSetpointC,
      tankHeating: this.#heating,
      evCurrentA: c.evCurrentA,
      waterHeater: c.waterHeater,
      hvac: c.hvac,
      poolPump: c.poolPump,
      freezer: c.freezer,
      ...this.#state,
      ...this.powers(),
    };
  }

  /** What each load draws now, and the meter. */
  powers(): LoadPowers {
    const c = this.#controls();
    const s = this.#state;
    const waterHeaterKw = this.#heating ? P.waterHeaterKw : 0;
    const hvacKw = c.hvac ? P.hvacKw : 0;
    const evKw = c.evCurrentA >= P.evMinA && s.evSocPct < 100 ? c.evCurrentA * P.evKwPerA : 0;
    const poolPumpKw = c.poolPump ? P.poolPumpKw : 0;
    const freezerKw = c.freezer ? P.freezerKw : 0;
    const baseKw = P.baseKw + this.#wander;
    const siteKw = waterHeaterKw + hvacKw + evKw + poolPumpKw + freezerKw + baseKw;
    return { waterHeaterKw, hvacKw, evKw, poolPumpKw, freezerKw, baseKw, siteKw };
  }

  step(dtMs: number): void {
    if (!(dtMs > 0)) return;
    this.#adopt();
    inSubsteps(dtMs, (dt) => this.#integrate(dt));
    this.#publish();
  }

  #integrate(dtMs: number): void {
    const dt = dtMs / 1000;
    const c = this.#controls();
    const s = this.#state;
    this.#thermostat();
    const powers = this.powers();

    s.tankTemperatureC += ((this.#heating ? P.tankHeatRate : 0) - P.tankDrawRate) * dt;
    const roomTarget = this.#outside;
    s.roomTemperatureC = roomTarget + (s.roomTemperatureC - roomTarget) * Math.exp(-dt / P.roomTauS) - (c.hvac ? P.hvacCoolRate * dt : 0);
    s.evSocPct = Math.min(100, s.evSocPct + (powers.evKw * P.evEfficiency * dt * 100) / (3600 * P.evBatteryKWh));
    if (c.poolPump) s.poolFilteredHours += dt / 3600;
    if (c.freezer) s.freezerTemperatureC = P.freezerFloorC + (s.freezerTemperatureC - P.freezerFloorC) * Math.exp(-dt / P.freezerTauS);
    else s.freezerTemperatureC += P.freezerWarmRate * dt;
    s.siteEnergyKWh += (powers.siteKw * dt) / 3600;
    // the rest of the house: a bounded random walk, drawn once per simulated second
    this.#wander = clamp(this.#wander + this.#prng.uniform(-0.01, 0.01) * Math.sqrt(dt), -P.baseWanderKw, P.baseWanderKw);
    this.#elapsedMs += dtMs;
  }

  /** The tank thermostat with hysteresis: heats below setpoint - hysteresis, stops at the setpoint. */
  #thermostat(): void {
    const c = this.#controls();
    const t = this.#state.tankTemperatureC;
    if (!c.waterHeater || t >= c.tankSetpointC) this.#heating = false;
    else if (t < c.tankSetpointC - P.tankHysteresisK) this.#heating = true;
  }

  #controls() {
    const b = this.bank;
    return {
      waterHeater: b.getBit("coil", MAP.coil.waterHeater),
      hvac: b.getBit("coil", MAP.coil.hvac),
      poolPump: b.getBit("coil", MAP.coil.poolPump),
      freezer: b.getBit("coil", MAP.coil.freezer),
      evCurrentA: Math.min(P.evMaxA, b.getWord("holding", MAP.holding.evCurrent)),
      tankSetpointC: b.readValue("holding", MAP.holding.tankSetpoint, "int16") / 10,
    };
  }

  /** Take in comfort registers written straight into the bank since the model last published. */
  #adopt(): void {
    for (const key of STATE_KEYS) {
      const address = STATE_REGISTER[key];
      const words = this.bank.getWords("input", address, 2).join(",");
      const last = this.#published.get(key);
      if (last === undefined || words === last) continue;
      const value = this.bank.readValue("input", address, "float32", F32);
      if (Number.isFinite(value)) this.#state[key] = key === "evSocPct" ? clamp(value, 0, 100) : value;
      this.#published.set(key, words);
    }
  }

  #publish(): void {
    this.#adopt();
    this.#thermostat();
    const p = this.powers();
    const s = this.#state;
    const write = (address: number, value: number) => this.bank.writeValue("input", address, "float32", value, F32);
    const I = MAP.input;
    write(I.sitePower, p.siteKw);
    write(I.waterHeaterPower, p.waterHeaterKw);
    write(I.hvacPower, p.hvacKw);
    write(I.evPower, p.evKw);
    write(I.poolPumpPower, p.poolPumpKw);
    write(I.freezerPower, p.freezerKw);
    write(I.basePower, p.baseKw);
    write(I.outsideTemperature, this.#outside);
    for (const key of STATE_KEYS) {
      write(STATE_REGISTER[key], s[key]);
      this.#published.set(key, this.bank.getWords("input", STATE_REGISTER[key], 2).join(","));
    }
  }
}

/** Refuse out-of-range holding writes with exception 03, as a real controller does. */
function guardHolding(address: number, values: readonly number[]): number | undefined {
  for (const [i, raw] of values.entries()) {
    const a = address + i;
    const signed = raw >= 0x8000 ? raw - 0x10000 : raw;
    if (a === MAP.holding.evCurrent && raw > P.evMaxA) return ExceptionCode.ILLEGAL_DATA_VALUE;
    if (a === MAP.holding.tankSetpoint && (signed < 400 || signed > 750)) return ExceptionCode.ILLEGAL_DATA_VALUE;
  }
  return undefined;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
