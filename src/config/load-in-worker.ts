/**
 * Load the gateway config in a short-lived worker thread. Parsing YAML and validating with TypeBox
 * need both libraries (≈ 15 MB of a gateway's RSS) and leave the loader's garbage behind; the running
 * gateway needs neither. The worker posts back the plain LoadedConfig (a structured clone: profiles
 * shared by devices stay shared) and ends, and its isolate's memory goes with it. Errors are the
 * loader's own: a LosError comes back with its code, message and details (file, line, path).
 */
import { Worker } from "node:worker_threads";
import { ERROR_CODES, LosError, type ErrorCode } from "../core/errors.js";
import type { LoadedConfig } from "./load.js";

export type LoadRequest = { file: string } | { value: unknown; dir: string; label?: string };
export type LoadReply =
  | { ok: true; config: LoadedConfig }
  | { ok: false; error: { code: ErrorCode; message: string; details: Record<string, unknown>; cause?: unknown } };

/** loadConfig(file), run in a worker. */
export function loadConfigInWorker(file: string): Promise<LoadedConfig> {
  return runLoader({ file });
}

/** loadConfigValue(value, dir, label), run in a worker; `value` must be structured-cloneable (plain data). */
export function loadConfigValueInWorker(value: unknown, dir: string, label?: string): Promise<LoadedConfig> {
  return runLoader(label === undefined ? { value, dir } : { value, dir, label });
}

/** The compiled entry next to this module in dist/, or the TypeScript one through a tsx bootstrap. */
function entry(): { url: URL; workerData: { request?: LoadRequest; entry?: string } } {
  if (import.meta.url.endsWith(".js")) return { url: new URL("./load-worker.js", import.meta.url), workerData: {} };
  return { url: new URL("./load-worker-bootstrap.mjs", import.meta.url), workerData: { entry: new URL("./load-worker.ts", import.meta.url).href } };
}

function runLoader(request: LoadRequest): Promise<LoadedConfig> {
  const { url, workerData } = entry();
  return new Promise((resolve, reject) => {
    let reply: LoadReply | undefined;
    let failure: unknown;
    // the worker runs the loader only: no flags of this process (e.g. --cpu-prof), the same environment
    const worker = new Worker(url, { workerData: { ...workerData, request }, execArgv: [], stdin: false });
    worker.once("message", (m: LoadReply) => (reply = m));
    worker.once("error", (err) => (failure = err));
    worker.once("exit", (code) => {
      if (reply?.ok) return resolve(reply.config);
      if (reply) return reject(rebuild(reply.error));
      // a bug in the loader: its own error, as loadConfig would have thrown it
      reject(failure ?? new LosError("LOS_E_INTERNAL", `the config loader worker exited with code ${code} without an answer`));
    });
  });
}

function rebuild(e: Extract<LoadReply, { ok: false }>["error"]): LosError {
  const code: ErrorCode = e.code in ERROR_CODES ? e.code : "LOS_E_INTERNAL";
  return new LosError(code, e.message, e.cause === undefined ? { details: e.details } : { details: e.details, cause: e.cause });
}
