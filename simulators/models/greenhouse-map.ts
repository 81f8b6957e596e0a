/**
 * The greenhouse simulator's register map (0-based addresses). devices/llmagentos/greenhouse-sim.yaml
 * and docs/simulators.md describe the same map; a test checks they agree.
 */
export const GREENHOUSE_MAP = {
  coil: {
    /** Heater relay, 3 kW. */
    heater: 0,
    /** Circulation/exhaust fan relay; its speed is holding `fanSpeed`. */
    fan: 1,
    /** Roof vent actuator: true = open. */
    vent: 2,
  },
  discrete: {
    /** Door switch: true = open. */
    door: 0,
  },
  input: {
    /** Inside air temperature, degC x10, int16. */
    temperature: 0,
    /** Inside relative humidity, %RH x10, uint16. */
    humidity: 1,
    /** Outside air temperature, degC x10, int16. */
    outsideTemperature: 2,
    /** Status word, bit fields in `statusBits`. */
    status: 3,
    /** Heater energy since start, kWh, float32 over registers 4-5, word order big. */
    heaterEnergy: 4,
    /** Outside relative humidity, %RH x10, uint16. */
    outsideHumidity: 6,
  },
  holding: {
    /** Temperature setpoint for a controller, degC x10, int16 (-400..800). Stored, not acted on. */
    setpoint: 0,
    /** Fan speed when the fan relay is on, % (0..100). */
    fanSpeed: 1,
    /** High-temperature alarm threshold, degC x10, int16 (0..800); clears 1 degC below. */
    alarmLimit: 2,
  },
  statusBits: {
    heaterOn: 0,
    fanOn: 1,
    ventOpen: 2,
    highTempAlarm: 3,
    doorOpen: 4,
  },
} as const;

export const GREENHOUSE_DEFAULTS = {
  setpoint: 210,
  fanSpeed: 100,
  alarmLimit: 350,
} as const;
