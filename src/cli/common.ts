/**
 * Opening the data dir of a gateway for the commands that read its data (options: data-options.ts).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { LosError } from "../core/errors.js";
import { loadConfig } from "../config/load.js";
import { openStoreReadOnly, type ReadOnlyStore } from "../store/index.js";
import { DEFAULT_CONFIG, type DataOptions } from "./data-options.js";

export { addDataOptions, DEFAULT_CONFIG, type DataOptions } from "./data-options.js";

export function resolveDataDir(opts: DataOptions): string {
  if (opts.dataDir) return resolve(opts.dataDir);
  return loadConfig(opts.config ?? DEFAULT_CONFIG).dataDir;
}

/** Open the data dir read-only (works while the gateway runs), run `fn`, close. */
export function withStore<T>(opts: DataOptions, fn: (store: ReadOnlyStore) => T): T {
  const dir = resolveDataDir(opts);
  if (!existsSync(dir)) {
    throw new LosError("LOS_E_STORE_OPEN", `data dir ${dir} does not exist: has the gateway been started with this config?`);
  }
  const store = openStoreReadOnly(dir);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}
