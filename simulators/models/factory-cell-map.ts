/**
 * The factory-cell simulator's register map (0-based addresses). devices/llmagentos/
 * factory-cell-sim.yaml describes the same map; a test checks they agree. Machines are numbered
 * 1..3; machine m's registers sit at base + (m - 1) for coils and discrete inputs and at
 * `machineInput + 4 * (m - 1)` for its input block.
 */
export const FACTORY_CELL_MAP = {
  coil: {
    /** Conveyor motor contactor. */
    conveyorMotor: 0,
    /** Pulse: place a raw part on the belt at the infeed (belt stopped, infeed clear). */
    infeedRelease: 1,
    /** Pulse: move the part at machine m's station into the machine (belt stopped). */
    load: 2,
    /** Pulse: start machine m's cycle (a part loaded, machine idle). */
    start: 5,
    /** Pulse: clear machine m's fault (its fault trip no longer active). */
    reset: 8,
  },
  discrete: {
    partAtInfeed: 0,
    /** machine m's station sensor */
    partAtStation: 1,
    partAtEnd: 4,
    /** machine m's fault trip (set by the control API to inject a fault) */
    faultTrip: 5,
  },
  holding: {
    /** belt speed, mm/s (50..1000) */
    conveyorSpeed: 0,
    /** stop the belt when a part reaches this station: 0 none, 1..3 machine, 4 the end */
    conveyorTarget: 1,
    /** machine m's cycle time, s (1..3600) */
    cycleTime: 2,
  },
  input: {
    partsOnBelt: 0,
    /** position of the part furthest along the belt, mm (0 with none on it) */
    leadPosition: 1,
    partsReleased: 2,
    /** parts that ran off the end of the belt */
    partsLost: 3,
    /** machine m: state, progress, parts done, parts scrapped */
    machine: 10,
  },
  machineInput: { state: 0, progress: 1, done: 2, scrapped: 3 },
} as const;

export const MACHINE_COUNT = 3;
export const MACHINE_STATES = ["idle", "loaded", "busy", "fault"] as const;
export type MachineState = (typeof MACHINE_STATES)[number];

export const FACTORY_CELL_LAYOUT = {
  /** belt length, mm; the infeed sits at 0 */
  lengthMm: 4000,
  /** station m at stationMm[m - 1] */
  stationMm: [1000, 2000, 3000],
  /** a sensor sees a part within this distance of its station, mm */
  sensorMm: 20,
  defaultSpeed: 500,
  defaultCycleS: [20, 30, 25],
} as const;
