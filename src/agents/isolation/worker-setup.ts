/**
 * Which code an agent's worker thread runs and with which V8 limits. The compiled entry in dist/
 * when bin/runtime.mjs says the build is fresh (~9 MB, ~40 ms per worker), else a bootstrap that
 * registers tsx and imports the TypeScript entry (more memory and start time, same behaviour).
 */
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ResourceLimits } from "node:worker_threads";

export type WorkerRuntime = "dist" | "tsx";

/** The checkout's root: this file is <root>/src/agents/isolation/ or, compiled, <root>/dist/src/agents/isolation/. */
const HERE = dirname(fileURLToPath(import.meta.url));
const UP3 = resolve(HERE, "../../..");
export const ROOT = basename(UP3) === "dist" ? dirname(UP3) : UP3;

/** bin/runtime.mjs chooseRuntime(): dist when fresh, tsx otherwise, LLMAGENTOS_RUNTIME forces one */
export async function chooseWorkerRuntime(): Promise<WorkerRuntime> {
  const mod = (await import(pathToFileURL(join(ROOT, "bin", "runtime.mjs")).href)) as { chooseRuntime(root?: string): WorkerRuntime };
  return mod.chooseRuntime(ROOT);
}

/** The worker's first module and its data for a runtime. */
export function workerEntry(runtime: WorkerRuntime): { url: URL; workerData?: { entry: string } } {
  if (runtime === "dist") return { url: pathToFileURL(join(ROOT, "dist", "src", "agents", "isolation", "worker-entry.js")) };
  return {
    url: pathToFileURL(join(ROOT, "src", "agents", "isolation", "worker-bootstrap.mjs")),
    workerData: { entry: pathToFileURL(join(ROOT, "src", "agents", "isolation", "worker-entry.ts")).href },
  };
}

/**
 * V8 limits for one agent: the old generation is the agent's heap budget; the young generation and
 * code space stay small (an agent is a small program; both count against the box's memory).
 */
export function workerLimits(heapMB: number): ResourceLimits {
  return {
    maxOldGenerationSizeMb: heapMB,
    maxYoungGenerationSizeMb: Math.min(8, Math.max(1, Math.floor(heapMB / 16))),
    codeRangeSizeMb: 16,
    stackSizeMb: 2,
  };
}
