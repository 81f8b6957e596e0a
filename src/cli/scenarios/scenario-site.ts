/**
 * What every scenario run needs: its simulator on a free loopback port, simulated time running
 * faster than the wall clock, and a gateway built from the scenario's config
 * (examples/scenarios/<name>/gateway.yaml) pointed at that port with a temp data dir. Loaded only
 * by `llmagentos scenario run` and the tests.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { LosError } from "../../core/errors.js";
import type { TaskService } from "../../tasks/contracts.js";
import type { FactSpace } from "../../tasks/contracts.js";
import type { Gateway } from "../../gateway.js";
import type { ModbusSimulator, ModbusSimulatorOptions } from "../../../simulators/modbus/simulator.js";

/** examples/scenarios/ at the package root (from src/cli/scenarios/ under tsx or from dist/). */
export function scenariosDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "examples", "scenarios"))) return join(dir, "examples", "scenarios");
    if (dirname(dir) === dir) return resolve(here, "../../..", "examples", "scenarios");
  }
}

export interface SiteOptions {
  /** folder under examples/scenarios/ */
  name: string;
  sim: Omit<Extract<ModbusSimulatorOptions, { transport: "tcp" }>, "transport" | "port" | "clock">;
  /** simulated ms per real ms */
  speed: number;
  /** how often simulated time advances, real ms */
  stepMs?: number;
  /** called after every step with the simulated time advanced (the scenario samples its model) */
  onStep?: () => void;
}

export interface ScenarioSite {
  sim: ModbusSimulator;
  gateway: Gateway;
  tasks: TaskService;
  facts: FactSpace;
  /** simulated ms since the start */
  simMs(): number;
  close(): Promise<void>;
}

/** The task layer's handles on the gateway (wired by src/gateway.ts). */
interface WithTasks {
  tasks?: TaskService;
  facts?: FactSpace;
  coordination?: { facts?: FactSpace };
}

export async function startScenarioSite(o: SiteOptions): Promise<ScenarioSite> {
  const [{ ManualClock }, { startModbusSimulator }, { readYamlFile }, { loadConfigValue }, { buildGateway }] = await Promise.all([
    import("../../core/clock.js"),
    import("../../../simulators/modbus/simulator.js"),
    import("../../config/yaml-file.js"),
    import("../../config/load.js"),
    import("../../gateway.js"),
  ]);
  const dir = join(scenariosDir(), o.name);
  const file = join(dir, "gateway.yaml");
  // the simulator's own clock stands still: time moves only by the steps below, `speed` times the wall clock
  const sim = await startModbusSimulator({ ...o.sim, transport: "tcp", port: 0, clock: new ManualClock() });
  const dataDir = await mkdtemp(join(tmpdir(), `los-scenario-${o.name}-`));
  let gateway: Gateway;
  try {
    const yaml = readYamlFile(file, "LOS_E_CONFIG_NOT_FOUND", "LOS_E_CONFIG_PARSE");
    const value = structuredClone(yaml.value) as { dataDir?: string; devices?: { connection?: { port?: number } }[] };
    value.dataDir = dataDir;
    for (const d of value.devices ?? []) if (d.connection?.port !== undefined) d.connection.port = sim.port!;
    gateway = await buildGateway(loadConfigValue(value, dir, file));
  } catch (err) {
    await sim.close();
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  const handles = gateway as unknown as WithTasks;
  const tasks = handles.tasks;
  const facts = handles.facts ?? handles.coordination?.facts;
  if (!tasks || !facts) {
    await gateway.close();
    await sim.close();
    await rm(dataDir, { recursive: true, force: true });
    throw new LosError("LOS_E_TASK_STATE", "this gateway has no task layer (gateway.tasks and its fact space are not wired); the scenarios need it");
  }
  const stepMs = o.stepMs ?? 20;
  let simMs = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const dt = (now - last) * o.speed;
    last = now;
    sim.step(dt);
    simMs += dt;
    o.onStep?.();
  }, stepMs);
  let closed = false;
  return {
    sim,
    gateway,
    tasks,
    facts,
    simMs: () => simMs,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await gateway.close();
      await sim.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Resolve with `cond()`'s value once it is truthy, checking every 10 ms; reject after `timeoutMs`. */
export async function waitUntil<T>(what: string, cond: () => T | undefined | null | false, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = cond();
    if (v) return v;
    if (Date.now() > deadline) throw new LosError("LOS_E_TASK_DEADLINE", `the scenario gave up waiting for ${what} after ${timeoutMs} ms`);
    await new Promise<void>((r) => setTimeout(r, 10));
  }
}

/** True when every named agent is running (and so may bid). */
export function agentsRunning(gateway: Gateway, ids: readonly string[]): boolean {
  const running = new Set(gateway.agents.running().map((a) => a.id));
  return ids.every((id) => running.has(id));
}
