/**
 * A water tank with an inlet valve and an outlet pump, as a lumped model stepped by a clock.
 *
 * - Level: inflow (valve opening x 36 m3/h at 100 %) minus pump outflow (28.8 m3/h while running
 *   and the tank is not empty) over a 2 m2 cross-section, clamped to 0..4 m (overflow spills).
 * - Outlet pressure: the static head of the water (0.0981 bar/m) plus 2.5 bar of pump head while
 *   it runs.
 * - Pump motor temperature: first order towards ambient + 45 K while pumping water (time constant
 *   300 s), ambient + 90 K while running dry (level under 5 cm: the seal has no cooling), and back
 *   to ambient with 600 s when off. So a pump pumping water never overheats, one left running on an
 *   empty tank does.
 * - Overheat alarm with hysteresis: on at `overheatLimitC` (default 80 degC), off 10 K below. When
 *   it comes on, the pump trips off and stays tripped (latched, as a motor protection relay does)
 *   until the alarm has cleared and the pump command is reset to off.
 *
 * Sensor readings carry a little seeded noise (level +-1 mm, pressure +-0.002 bar, temperature
 * +-0.05 K) so the same seed gives the same readings on every run; `state()` has the true values.
 */
import { Prng } from "../../src/core/prng.js";
import { inSubsteps } from "./model.js";

export interface WaterTankOptions {
  /** Seed of the sensor noise (default 1). */
  seed?: number;
  /** Initial level, m (default 1.5). */
  levelM?: number;
  /** Initial inlet valve opening, % (default 0). */
  valvePct?: number;
  /** Ambient (and initial motor) temperature, degC (default 20). */
  ambientC?: number;
  /** Overheat alarm limit, degC (default 80; the alarm clears 10 K below). */
  overheatLimitC?: number;
}

/** Physical constants (SI units unless named). */
export const WATER_TANK_PHYSICS = {
  areaM2: 2,
  heightM: 4,
  /** Inflow at a fully open valve, m3/s (36 m3/h). */
  inflowMax: 0.01,
  /** Pump outflow while running, m3/s (28.8 m3/h). */
  pumpFlow: 0.008,
  /** Below this level the pump runs dry, m. */
  dryLevelM: 0.05,
  /** Static head, bar per m of water. */
  barPerM: 0.0981,
  pumpHeadBar: 2.5,
  /** Motor temperature rise above ambient at steady state, K. */
  riseWetK: 45,
  riseDryK: 90,
  /** Thermal time constants, s. */
  heatTauS: 300,
  coolTauS: 600,
  /** The alarm clears this far below the limit, K. */
  hysteresisK: 10,
} as const;

export interface WaterTankState {
  elapsedMs: number;
  levelM: number;
  levelPct: number;
  valvePct: number;
  pumpCommand: boolean;
  pumpRunning: boolean;
  pumpTripped: boolean;
  inflowM3h: number;
  outflowM3h: number;
  outletPressureBar: number;
  motorTempC: number;
  overheatAlarm: boolean;
  overheatLimitC: number;
  pumpStarts: number;
  pumpRunSeconds: number;
  /** "filling", "draining", "steady" or "tripped". */
  mode: string;
}

/** What the sensors show: the true state plus seeded noise. */
export interface WaterTankReadings extends WaterTankState {
  levelM: number;
  outletPressureBar: number;
  motorTempC: number;
}

/** Sensor values a test may set; they hold until physics moves them. */
export type WaterTankOverride = "levelM" | "motorTempC";


export class WaterTankModel {
  readonly kind = "water-tank";
  readonly #prng: Prng;
  readonly #ambientC: number;
  #elapsedMs = 0;
  #level: number;
  #valve: number;
  #pumpCommand = false;
  #tripped = false;
  #motorTemp: number;
  #alarm = false;
  #limit: number;
  #starts = 0;
  #runMs = 0;
  #noise = { level: 0, pressure: 0, temp: 0 };
  readonly #listeners = new Set<() => void>();

  constructor(options: WaterTankOptions = {}) {
    this.#prng = new Prng(options.seed ?? 1);
    this.#ambientC = options.ambientC ?? 20;
    this.#level = clamp(options.levelM ?? 1.5, 0, WATER_TANK_PHYSICS.heightM);
    this.#valve = checkPct(options.valvePct ?? 0);
    this.#motorTemp = this.#ambientC;
    this.#limit = options.overheatLimitC ?? 80;
    this.#drawNoise();
  }

  /** Call `fn` after every change of state (step, command, override); returns an unsubscribe. */
  onChange(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Inlet valve opening, 0..100 %; throws RangeError outside. */
  setValve(pct: number): void {
    this.#valve = checkPct(pct);
    this.#changed();
  }

  /**
   * Pump command. Switching on while tripped does nothing until the trip is reset; switching off
   * resets the trip once the alarm has cleared.
   */
  setPumpCommand(on: boolean): void {
    const wasRunning = this.#running();
    this.#pumpCommand = on;
    if (!on && !this.#alarm) this.#tripped = false;
    if (on && this.#alarm) this.#tripped = true; // start inhibited while hot
    if (!wasRunning && this.#running()) this.#starts++;
    this.#changed();
  }

  /** Overheat alarm limit, degC (0..200). */
  setOverheatLimit(degC: number): void {
    if (!(degC >= 0 && degC <= 200)) throw new RangeError(`overheat limit must be 0..200 degC, got ${degC}`);
    this.#limit = degC;
    this.#evaluateAlarm();
    this.#changed();
  }

  /** Put the tank in a condition: the value holds until physics moves it. */
  override(name: WaterTankOverride, value: number): void {
    if (!Number.isFinite(value)) throw new RangeError(`${name} must be a finite number, got ${value}`);
    if (name === "levelM") this.#level = clamp(value, 0, WATER_TANK_PHYSICS.heightM);
    else if (name === "motorTempC") this.#motorTemp = value;
    else throw new RangeError(`unknown water tank override "${String(name)}"; use levelM or motorTempC`);
    this.#evaluateAlarm();
    this.#changed();
  }

  step(dtMs: number): void {
    if (!(dtMs > 0)) return;
    inSubsteps(dtMs, (dt) => this.#integrate(dt));
    this.#drawNoise();
    this.#changed();
  }

  /** The true physical state. */
  state(): WaterTankState {
    const P = WATER_TANK_PHYSICS;
    const running = this.#running();
    const inflow = (this.#valve / 100) * P.inflowMax;
    const outflow = running && this.#level > 0 ? P.pumpFlow : 0;
    const net = inflow - outflow;
    return {
      elapsedMs: this.#elapsedMs,
      levelM: this.#level,
      levelPct: (100 * this.#level) / P.heightM,
      valvePct: this.#valve,
      pumpCommand: this.#pumpCommand,
      pumpRunning: running,
      pumpTripped: this.#tripped,
      inflowM3h: inflow * 3600,
      outflowM3h: outflow * 3600,
      outletPressureBar: this.#level * P.barPerM + (running ? P.pumpHeadBar : 0),
      motorTempC: this.#motorTemp,
      overheatAlarm: this.#alarm,
      overheatLimitC: this.#limit,
      pumpStarts: this.#starts,
      pumpRunSeconds: Math.floor(this.#runMs / 1000),
      mode: this.#tripped ? "tripped" : net > 1e-9 ? "filling" : net < -1e-9 ? "draining" : "steady",
    };
  }

  /** What the sensors show (true state + seeded noise), as served over OPC-UA. */
  readings(): WaterTankReadings {
    const s = this.state();
    return {
      ...s,
      levelM: clamp(s.levelM + this.#noise.level, 0, WATER_TANK_PHYSICS.heightM),
      outletPressureBar: Math.max(0, s.outletPressureBar + this.#noise.pressure),
      motorTempC: s.motorTempC + this.#noise.temp,
    };
  }

  snapshot(): Record<string, unknown> {
    return { ...this.state() };
  }

  #running(): boolean {
    return this.#pumpCommand && !this.#tripped;
  }

  #integrate(dtMs: number): void {
    const P = WATER_TANK_PHYSICS;
    const dt = dtMs / 1000;
    const running = this.#running();
    const inflow = (this.#valve / 100) * P.inflowMax;
    const outflow = running && this.#level > 0 ? P.pumpFlow : 0;
    this.#level = clamp(this.#level + ((inflow - outflow) * dt) / P.areaM2, 0, P.heightM);

    // Exact first-order response over the substep (stable for any dt).
    const dry = this.#level < P.dryLevelM;
    const target = this.#ambientC + (running ? (dry ? P.riseDryK : P.riseWetK) : 0);
    const tau = running ? P.heatTauS : P.coolTauS;
    this.#motorTemp = target + (this.#motorTemp - target) * Math.exp(-dt / tau);
    if (running) this.#runMs += dtMs;
    this.#elapsedMs += dtMs;
    this.#evaluateAlarm();
  }

  #evaluateAlarm(): void {
    if (this.#motorTemp >= this.#limit) {
      this.#alarm = true;
      if (this.#pumpCommand) this.#tripped = true;
    } else if (this.#motorTemp < this.#limit - WATER_TANK_PHYSICS.hysteresisK) {
      this.#alarm = false;
      if (!this.#pumpCommand) this.#tripped = false;
    }
  }

  #drawNoise(): void {
    this.#noise = {
      level: this.#prng.uniform(-0.001, 0.001),
      pressure: this.#prng.uniform(-0.002, 0.002),
      temp: this.#prng.uniform(-0.05, 0.05),
    };
  }

  #changed(): void {
    for (const fn of this.#listeners) fn();
  }
}

function checkPct(pct: number): number {
  if (!(pct >= 0 && pct <= 100)) throw new RangeError(`valve opening must be 0..100 %, got ${pct}`);
  return pct;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
