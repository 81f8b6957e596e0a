/**
 * One call to stand up a simulated Modbus device (or several unit ids on one bus): builds a model
 * per unit id, serves their banks over TCP or RTU, ticks the models on a clock, and hands back the
 * handles a test or the CLI needs. Prints nothing.
 */
import { LosError } from "../../src/core/errors.js";
import { systemClock, type Clock, type TimerHandle } from "../../src/core/clock.js";
import { FaultInjector } from "./faults.js";
import type { RegisterBank } from "./register-bank.js";
import { ModbusRtuServer } from "./rtu-server.js";
import { ModbusTcpServer } from "./tcp-server.js";
import type { ServerStats } from "./unit-router.js";
import { GreenhouseModel, type GreenhouseOptions } from "../models/greenhouse.js";
import type { SimModel } from "../models/model.js";
import { RegisterModel, type RegisterModelOptions } from "../models/register-model.js";
import { ProfileModel } from "../models/profile-model.js";
import { BuildingLoadsModel, type BuildingLoadsOptions } from "../models/building-loads.js";
import { FactoryCellModel, type FactoryCellOptions } from "../models/factory-cell.js";
import type { DeviceProfile } from "../../src/config/profile-schema.js";

export type ModelKind = "greenhouse" | "registers" | "profile" | "building-loads" | "factory-cell";

interface CommonOptions {
  /** Default "greenhouse". */
  model?: ModelKind;
  /** Unit ids served, each with its own model instance (default [1]; TCP 0..255, RTU 1..247). */
  unitIds?: number[];
  /** Drives the model ticks and `slow` fault delays (default systemClock, timers unref'd). */
  clock?: Clock;
  /** Model step interval in clock ms (default 1000). */
  tickMs?: number;
  /** Base seed; unit u gets seed * 1000 + u (default 1). */
  seed?: number;
  /** Share an injector (default: a new one). */
  faults?: FaultInjector;
  /** Extra options for the greenhouse model (seed and startMs are set per unit). */
  greenhouse?: Omit<GreenhouseOptions, "seed">;
  /** Extra options for the registers model (seed is set per unit). */
  registers?: Omit<RegisterModelOptions, "seed">;
  /** The device profile the "profile" model serves (every unit id serves its own copy). */
  profile?: DeviceProfile;
  /** Extra options for the building-loads model (seed is set per unit). */
  buildingLoads?: Omit<BuildingLoadsOptions, "seed">;
  /** Extra options for the factory-cell model. */
  factoryCell?: FactoryCellOptions;
}

export interface TcpSimulatorOptions extends CommonOptions {
  transport: "tcp";
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (the OS chooses; read it back from `port`). */
  port?: number;
  /** What to do with requests for unit ids not served (default "gateway-exception"). */
  unknownUnit?: "gateway-exception" | "ignore";
}

export interface RtuSimulatorOptions extends CommonOptions {
  transport: "rtu";
  /** Serial device or pty path. */
  path: string;
  baudRate?: number;
}

export type ModbusSimulatorOptions = TcpSimulatorOptions | RtuSimulatorOptions;

export interface ModbusSimulator {
  readonly transport: "tcp" | "rtu";
  /** TCP: bound host and port. */
  readonly host: string | undefined;
  readonly port: number | undefined;
  /** RTU: serial path. */
  readonly path: string | undefined;
  readonly unitIds: readonly number[];
  /** The model of the first unit id. */
  readonly model: SimModel;
  /** Every unit's model. */
  readonly models: ReadonlyMap<number, SimModel>;
  readonly faults: FaultInjector;
  /** Server counters (requests, replies, bad frames, …). */
  stats(): Readonly<ServerStats>;
  /** The register bank of a unit; throws LOS_E_DEVICE_UNKNOWN for a unit not served. */
  bank(unitId: number): RegisterBank;
  /** Advance every model by `dtMs` now (in addition to the clock's ticks). */
  step(dtMs: number): void;
  close(): Promise<void>;
}

export async function startModbusSimulator(options: ModbusSimulatorOptions): Promise<ModbusSimulator> {
  const clock = options.clock ?? systemClock;
  const unitIds = [...(options.unitIds ?? [1])];
  // RTU: 0 is the broadcast address, 248..255 are reserved. TCP: any byte (0 and 255 are common).
  const [lo, hi] = options.transport === "rtu" ? [1, 247] : [0, 255];
  if (unitIds.length === 0 || unitIds.some((u) => !Number.isInteger(u) || u < lo || u > hi)) {
    throw new LosError("LOS_E_SIM_START", `${options.transport} unit ids must be integers ${lo}..${hi}, got [${unitIds.join(", ")}]`);
  }
  if (new Set(unitIds).size !== unitIds.length) throw new LosError("LOS_E_SIM_START", `duplicate unit ids in [${unitIds.join(", ")}]`);
  const tickMs = options.tickMs ?? 1000;
  if (!(tickMs > 0)) throw new LosError("LOS_E_SIM_START", `tickMs must be > 0, got ${tickMs}`);
  const kind = options.model ?? "greenhouse";
  const seed = options.seed ?? 1;
  const models = new Map<number, SimModel>();
  const banks = new Map<number, RegisterBank>();
  for (const unitId of unitIds) {
    const model = createModel(kind, seed * 1000 + unitId, clock, options);
    models.set(unitId, model);
    banks.set(unitId, model.bank);
  }
  const faults = options.faults ?? new FaultInjector({ seed });

  const server =
    options.transport === "tcp"
      ? await ModbusTcpServer.start({
          banks,
          faults,
          clock,
          host: options.host ?? "127.0.0.1",
          port: options.port ?? 0,
          unknownUnit: options.unknownUnit ?? "gateway-exception",
        })
      : await ModbusRtuServer.start({ banks, faults, clock, path: options.path, baudRate: options.baudRate ?? 9600 });

  let last = clock.monotonic();
  let timer: TimerHandle | undefined;
  let closed = false;
  const schedule = () => {
    timer = clock.setTimeout(() => {
      const now = clock.monotonic();
      const dt = now - last;
      last = now;
      for (const model of models.values()) model.step(dt);
      if (!closed) schedule();
    }, tickMs);
    timer.unref?.();
  };
  schedule();

  const first = models.get(unitIds[0] as number) as SimModel;
  return {
    transport: options.transport,
    host: server instanceof ModbusTcpServer ? server.host : undefined,
    port: server instanceof ModbusTcpServer ? server.port : undefined,
    path: server instanceof ModbusRtuServer ? server.path : undefined,
    unitIds,
    model: first,
    models,
    faults,
    stats: () => server.stats,
    bank(unitId: number): RegisterBank {
      const bank = banks.get(unitId);
      if (!bank) throw new LosError("LOS_E_DEVICE_UNKNOWN", `the simulator serves unit ids [${unitIds.join(", ")}], not ${unitId}`);
      return bank;
    },
    step(dtMs: number): void {
      for (const model of models.values()) model.step(dtMs);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (timer) clock.clearTimeout(timer);
      await server.close();
    },
  };
}

function createModel(kind: ModelKind, seed: number, clock: Clock, options: CommonOptions): SimModel {
  switch (kind) {
    case "greenhouse":
      return new GreenhouseModel({ startMs: clock.now(), ...options.greenhouse, seed });
    case "registers":
      return new RegisterModel({ ...options.registers, seed });
    case "profile":
      if (!options.profile) throw new LosError("LOS_E_SIM_START", 'model "profile" needs the `profile` option (a loaded device profile)');
      return new ProfileModel({ profile: options.profile, seed });
    case "building-loads":
      return new BuildingLoadsModel({ ...options.buildingLoads, seed });
    case "factory-cell":
      return new FactoryCellModel(options.factoryCell);
    default:
      throw new LosError("LOS_E_SIM_START", `unknown simulator model "${String(kind)}"; use greenhouse, registers, profile, building-loads or factory-cell`);
  }
}
