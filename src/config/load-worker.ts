/**
 * Worker entry of load-in-worker.ts: loads the config (YAML, schema, profiles, cross-references)
 * and posts back the plain LoadedConfig, or the LosError as {code, message, details}. The worker
 * then ends, and yaml, TypeBox and the loader's garbage go with its isolate.
 */
import { parentPort, workerData } from "node:worker_threads";
import { isLosError, LosError } from "../core/errors.js";
import { loadConfig, loadConfigValue } from "./load.js";
import type { LoadRequest, LoadReply } from "./load-in-worker.js";

if (!parentPort) throw new LosError("LOS_E_INTERNAL", "load-worker runs only inside the worker started by loadConfigInWorker");
const port = parentPort;
const req = (workerData as { request: LoadRequest }).request;

function post(reply: LoadReply): void {
  try {
    port.postMessage(reply);
  } catch (err) {
    // a cause that does not survive a structured clone: the error without it
    if (reply.ok || reply.error.cause === undefined) throw err;
    const { cause: _dropped, ...error } = reply.error;
    port.postMessage({ ok: false, error });
  }
}

try {
  post({ ok: true, config: "file" in req ? loadConfig(req.file) : loadConfigValue(req.value, req.dir, req.label) });
} catch (err) {
  // anything else is a bug: it reaches the parent as the worker's error event
  if (!isLosError(err)) throw err;
  post({ ok: false, error: { code: err.code, message: err.message, details: err.details, cause: err.cause } });
}
