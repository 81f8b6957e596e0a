/**
 * The building-loads simulator's register map (0-based addresses). devices/llmagentos/
 * building-loads-sim.yaml describes the same map; a test checks they agree. Every analogue value
 * is a float32 over two input registers, word order big.
 */
export const BUILDING_LOADS_MAP = {
  coil: {
    /** Water heater enable (the element still follows its thermostat). */
    waterHeater: 0,
    /** HVAC compressor enable. */
    hvac: 1,
    /** Pool filtration pump. */
    poolPump: 2,
    /** Freezer compressor enable. */
    freezer: 3,
  },
  holding: {
    /** EV charging current, A (0..32, uint16); under 6 A the charger pauses (IEC 61851). */
    evCurrent: 0,
    /** Water heater thermostat setpoint, degC x10, int16 (400..750). */
    tankSetpoint: 1,
  },
  /** float32, word order big: each takes two registers. */
  input: {
    sitePower: 0,
    waterHeaterPower: 2,
    hvacPower: 4,
    evPower: 6,
    poolPumpPower: 8,
    freezerPower: 10,
    basePower: 12,
    tankTemperature: 14,
    roomTemperature: 16,
    evSoc: 18,
    poolFilteredHours: 20,
    freezerTemperature: 22,
    siteEnergy: 24,
    outsideTemperature: 26,
  },
} as const;

export const BUILDING_LOADS_INPUT_COUNT = 28;

/** Ratings and time constants (SI per second unless named). */
export const BUILDING_LOADS_PHYSICS = {
  waterHeaterKw: 4.5,
  /** 4.5 kW into 200 l of water: K/s at full power */
  tankHeatRate: 4500 / (200 * 4186),
  /** hot water drawn by the household, K/s */
  tankDrawRate: 0.0012,
  /** the element switches back on this far below the setpoint, K */
  tankHysteresisK: 4,
  hvacKw: 3.2,
  /** room → outside time constant, s */
  roomTauS: 3600,
  /** cooling of the running compressor, K/s */
  hvacCoolRate: 0.004,
  /** single phase 230 V: kW per A */
  evKwPerA: 0.23,
  evMinA: 6,
  evMaxA: 32,
  evBatteryKWh: 60,
  evEfficiency: 0.9,
  poolPumpKw: 1.1,
  freezerKw: 0.2,
  /** the running compressor pulls the cabinet towards this, degC */
  freezerFloorC: -24,
  freezerTauS: 1800,
  /** warming of a stopped freezer, K/s (about 2.5 K per hour) */
  freezerWarmRate: 0.0007,
  /** lighting, sockets and the rest, kW, with a small seeded wander */
  baseKw: 1.4,
  baseWanderKw: 0.05,
} as const;

export const BUILDING_LOADS_DEFAULTS = {
  tankTemperatureC: 55,
  tankSetpointC: 60,
  roomTemperatureC: 23.5,
  outsideTemperatureC: 32,
  evSocPct: 50,
  evCurrentA: 32,
  poolFilteredHours: 3.5,
  freezerTemperatureC: -19,
} as const;
