/**
 * A small machining cell served as Modbus registers (factory-cell-map.ts): an infeed, a 4 m belt
 * conveyor with a station sensor in front of each of three machines, and the machines themselves.
 * A part is released onto the belt at the infeed, carried by the running belt (the belt stops
 * itself when a part reaches the target station, as a photo eye wired to the contactor does), loaded
 * into the machine at that station, machined for the machine's cycle time and passed to the outfeed.
 *
 * Physical rules, enforced as a controller does (a refused command answers Modbus exception 04 and
 * changes nothing): a part is released only onto a stopped belt with the infeed clear; a machine
 * loads only from a stopped belt, with a part at its station, while empty and not in fault; a
 * machine starts only with a part loaded. A machine's fault trip (a discrete input the control API
 * sets) puts it in fault at once and scraps the part inside; it stays in fault until the trip is
 * clear and its reset coil is pulsed. Deterministic: no randomness, time only from `step()`.
 */
import { ExceptionCode } from "../modbus/pdu.js";
import { RegisterBank, type WritableKind } from "../modbus/register-bank.js";
import { FACTORY_CELL_LAYOUT as L, FACTORY_CELL_MAP as MAP, MACHINE_COUNT, MACHINE_STATES, type MachineState } from "./factory-cell-map.js";
import { inSubsteps, type SimModel } from "./model.js";

export interface FactoryCellOptions {
  /** belt speed, mm/s (default 500) */
  speedMmS?: number;
  /** cycle time per machine, s (default 20, 30, 25) */
  cycleS?: readonly number[];
}

export interface MachineSnapshot {
  state: MachineState;
  /** percent of the cycle done */
  progress: number;
  done: number;
  scrapped: number;
  cycleS: number;
  faultTrip: boolean;
}

export interface FactoryCellState {
  elapsedMs: number;
  conveyorMotor: boolean;
  speedMmS: number;
  target: number;
  /** positions of the parts on the belt, mm */
  parts: number[];
  released: number;
  lost: number;
  /** commands refused by the physical rules */
  refused: number;
  /** why the last command was refused */
  lastRefusal?: string;
  machines: MachineSnapshot[];
}

interface Machine {
  state: MachineState;
  elapsedMs: number;
  done: number;
  scrapped: number;
}

const REFUSE = ExceptionCode.SERVER_DEVICE_FAILURE;

export class FactoryCellModel implements SimModel {
  readonly kind = "factory-cell";
  readonly bank: RegisterBank;
  #elapsedMs = 0;
  #parts: number[] = [];
  #released = 0;
  #lost = 0;
  #refused = 0;
  #lastRefusal: string | undefined;
  readonly #machines: Machine[] = [];

  constructor(options: FactoryCellOptions = {}) {
    this.bank = new RegisterBank({
      ranges: {
        coil: [{ start: 0, count: MAP.coil.reset + MACHINE_COUNT }],
        discrete: [{ start: 0, count: MAP.discrete.faultTrip + MACHINE_COUNT }],
        holding: [{ start: 0, count: MAP.holding.cycleTime + MACHINE_COUNT }],
        input: [{ start: 0, count: 4 }, { start: MAP.input.machine, count: 4 * MACHINE_COUNT }],
      },
    });
    const speed = options.speedMmS ?? L.defaultSpeed;
    if (!validSpeed(speed)) throw new RangeError(`speedMmS must be an integer 50..1000, got ${speed}`);
    this.bank.setWord("holding", MAP.holding.conveyorSpeed, speed);
    for (let m = 1; m <= MACHINE_COUNT; m++) {
      const cycle = options.cycleS?.[m - 1] ?? L.defaultCycleS[m - 1]!;
      if (!validCycle(cycle)) throw new RangeError(`cycleS[${m - 1}] must be an integer 1..3600, got ${cycle}`);
      this.bank.setWord("holding", MAP.holding.cycleTime + m - 1, cycle);
      this.#machines.push({ state: "idle", elapsedMs: 0, done: 0, scrapped: 0 });
    }
    this.bank.setWriteGuard((kind, address, values) => this.#guard(kind, address, values));
    this.bank.onWrite((kind, address, values) => this.#apply(kind, address, values));
    this.#publish();
  }

  /** Set or clear machine m's fault trip (as the control API's raw write of the discrete input does). */
  setFaultTrip(machine: number, on: boolean): void {
    this.bank.setBit("discrete", MAP.discrete.faultTrip + checkMachine(machine) - 1, on);
    this.#publish();
  }

  sync(): void {
    this.#publish();
  }

  snapshot(): Record<string, unknown> {
    return { ...this.state() };
  }

  state(): FactoryCellState {
    const b = this.bank;
    return {
      elapsedMs: this.#elapsedMs,
      conveyorMotor: b.getBit("coil", MAP.coil.conveyorMotor),
      speedMmS: b.getWord("holding", MAP.holding.conveyorSpeed),
      target: b.getWord("holding", MAP.holding.conveyorTarget),
      parts: [...this.#parts],
      released: this.#released,
      lost: this.#lost,
      refused: this.#refused,
      ...(this.#lastRefusal === undefined ? {} : { lastRefusal: this.#lastRefusal }),
      machines: this.#machines.map((mc, i) => ({
        state: mc.state,
        progress: this.#progress(i + 1),
        done: mc.done,
        scrapped: mc.scrapped,
        cycleS: this.#cycleS(i + 1),
        faultTrip: b.getBit("discrete", MAP.discrete.faultTrip + i),
      })),
    };
  }

  step(dtMs: number): void {
    if (!(dtMs > 0)) return;
    this.#trips();
    inSubsteps(dtMs, (dt) => {
        this.#moveBelt(dt);
        this.#runMachines(dt);
        this.#elapsedMs += dt;
    });
    this.#publish();
  }

  #moveBelt(dtMs: number): void {
    if (!this.bank.getBit("coil", MAP.coil.conveyorMotor) || this.#parts.length === 0) return;
    let travel = (this.bank.getWord("holding", MAP.holding.conveyorSpeed) * dtMs) / 1000;
    const stopAt = targetMm(this.bank.getWord("holding", MAP.holding.conveyorTarget));
    if (stopAt !== undefined) {
      // the first part to reach the target's sensor stops the belt there
      const ahead = this.#parts.filter((p) => p < stopAt).map((p) => stopAt - p);
      const gap = ahead.length > 0 ? Math.min(...ahead) : Infinity;
      if (gap <= travel) {
        travel = gap;
        this.bank.setBit("coil", MAP.coil.conveyorMotor, false);
      }
    }
    const moved = this.#parts.map((p) => p + travel);
    this.#parts = moved.filter((p) => p <= L.lengthMm);
    this.#lost += moved.length - this.#parts.length;
  }

  #runMachines(dtMs: number): void {
    this.#machines.forEach((mc, i) => {
      if (mc.state !== "busy") return;
      mc.elapsedMs += dtMs;
      if (mc.elapsedMs >= this.#cycleS(i + 1) * 1000) {
        mc.state = "idle";
        mc.elapsedMs = 0;
        mc.done += 1;
      }
    });
  }

  /** A fault trip puts its machine in fault at once and scraps the part inside. */
  #trips(): void {
    this.#machines.forEach((mc, i) => {
      if (!this.bank.getBit("discrete", MAP.discrete.faultTrip + i) || mc.state === "fault") return;
      if (mc.state === "busy" || mc.state === "loaded") mc.scrapped += 1;
      mc.state = "fault";
      mc.elapsedMs = 0;
    });
  }

  /** The physical rules: a refused command answers exception 04 and changes nothing. */
  #guard(kind: WritableKind, address: number, values: readonly number[]): number | undefined {
    if (kind === "holding") {
      for (const [i, raw] of values.entries()) {
        const a = address + i;
        if (a === MAP.holding.conveyorSpeed && !validSpeed(raw)) return ExceptionCode.ILLEGAL_DATA_VALUE;
        if (a === MAP.holding.conveyorTarget && raw > MACHINE_COUNT + 1) return ExceptionCode.ILLEGAL_DATA_VALUE;
        if (a >= MAP.holding.cycleTime && !validCycle(raw)) return ExceptionCode.ILLEGAL_DATA_VALUE;
      }
      return undefined;
    }
    this.#trips();
    for (const [i, raw] of values.entries()) {
      if (raw === 0) continue;
      const why = this.#commandRefusal(address + i);
      if (why !== undefined) {
        this.#refused += 1;
        this.#lastRefusal = `coil ${address + i}: ${why}`;
        return REFUSE;
      }
    }
    return undefined;
  }

  #commandRefusal(address: number): string | undefined {
    const running = this.bank.getBit("coil", MAP.coil.conveyorMotor);
    const pulse = pulseOf(address);
    if (!pulse) return undefined;
    const mc = this.#machines[pulse.machine - 1];
    switch (pulse.kind) {
      case "release":
        if (running) return "belt running";
        return this.#parts.some((p) => p <= L.sensorMm * 5) ? "infeed occupied" : undefined;
      case "load":
        if (running) return "belt running";
        if (this.#partAt(L.stationMm[pulse.machine - 1]!) === undefined) return "no part at the station";
        return mc?.state === "idle" ? undefined : `machine ${mc?.state}`;
      case "start":
        return mc?.state === "loaded" ? undefined : `machine ${mc?.state}`;
      case "reset":
        if (this.bank.getBit("discrete", MAP.discrete.faultTrip + pulse.machine - 1)) return "fault trip still active";
        return undefined;
    }
  }

  /** Carry out an accepted pulse and drop the coil back to false. */
  #apply(kind: WritableKind, address: number, values: readonly number[]): void {
    if (kind === "coil") {
      values.forEach((raw, i) => {
        const pulse = pulseOf(address + i);
        if (!pulse) return;
        this.bank.setBit("coil", address + i, false);
        if (raw === 0) return;
        const mc = this.#machines[pulse.machine - 1]!;
        if (pulse.kind === "release") {
          this.#parts.push(0);
          this.#released += 1;
        } else if (pulse.kind === "load") {
          const at = this.#partAt(L.stationMm[pulse.machine - 1]!)!;
          this.#parts.splice(at, 1);
          mc.state = "loaded";
        } else if (pulse.kind === "start") {
          mc.state = "busy";
          mc.elapsedMs = 0;
        } else if (mc.state === "fault") {
          mc.state = "idle";
        }
      });
    }
    this.#publish();
  }

  #partAt(mm: number): number | undefined {
    const i = this.#parts.findIndex((p) => Math.abs(p - mm) <= L.sensorMm);
    return i < 0 ? undefined : i;
  }

  #cycleS(machine: number): number {
    return Math.max(1, this.bank.getWord("holding", MAP.holding.cycleTime + machine - 1));
  }

  #progress(machine: number): number {
    const mc = this.#machines[machine - 1]!;
    return mc.state === "busy" ? Math.min(100, Math.floor((100 * mc.elapsedMs) / (this.#cycleS(machine) * 1000))) : 0;
  }

  #publish(): void {
    this.#trips();
    const b = this.bank;
    b.setBit("discrete", MAP.discrete.partAtInfeed, this.#partAt(0) !== undefined);
    L.stationMm.forEach((mm, i) => b.setBit("discrete", MAP.discrete.partAtStation + i, this.#partAt(mm) !== undefined));
    b.setBit("discrete", MAP.discrete.partAtEnd, this.#partAt(L.lengthMm) !== undefined);
    b.setWord("input", MAP.input.partsOnBelt, this.#parts.length);
    b.setWord("input", MAP.input.leadPosition, Math.round(Math.max(0, ...this.#parts)));
    b.setWord("input", MAP.input.partsReleased, this.#released);
    b.setWord("input", MAP.input.partsLost, this.#lost);
    const I = MAP.machineInput;
    this.#machines.forEach((mc, i) => {
      const base = MAP.input.machine + 4 * i;
      b.setWord("input", base + I.state, MACHINE_STATES.indexOf(mc.state));
      b.setWord("input", base + I.progress, this.#progress(i + 1));
      b.setWord("input", base + I.done, mc.done);
      b.setWord("input", base + I.scrapped, mc.scrapped);
    });
  }
}

type Pulse = { kind: "release" | "load" | "start" | "reset"; machine: number };

function pulseOf(address: number): Pulse | undefined {
  const C = MAP.coil;
  if (address === C.infeedRelease) return { kind: "release", machine: 1 };
  for (const [kind, base] of [["load", C.load], ["start", C.start], ["reset", C.reset]] as const) {
    if (address >= base && address < base + MACHINE_COUNT) return { kind, machine: address - base + 1 };
  }
  return undefined;
}

function targetMm(target: number): number | undefined {
  if (target >= 1 && target <= MACHINE_COUNT) return L.stationMm[target - 1];
  return target === MACHINE_COUNT + 1 ? L.lengthMm : undefined;
}

function checkMachine(machine: number): number {
  if (!Number.isInteger(machine) || machine < 1 || machine > MACHINE_COUNT) throw new RangeError(`machine must be 1..${MACHINE_COUNT}, got ${machine}`);
  return machine;
}

const validSpeed = (v: number) => Number.isInteger(v) && v >= 50 && v <= 1000;
const validCycle = (v: number) => Number.isInteger(v) && v >= 1 && v <= 3600;
