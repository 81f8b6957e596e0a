/**
 * Options shared by the commands that read a gateway's data: where the config or the data dir is.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { LosError } from "../core/errors.js";
import { loadConfig } from "../config/load.js";
import { openStoreReadOnly, type ReadOnlyStore } from "../store/index.js";

export const DEFAULT_CONFIG = process.env.LOS_CONFIG ?? "llmagentos.yaml";

export interface DataOptions {
  config?: string;
  dataDir?: string;
}

export function addDataOptions(cmd: Command): Command {
  return cmd
    .option("-c, --config <file>", "gateway config file (env LOS_CONFIG)", DEFAULT_CONFIG)
    .option("-d, --data-dir <dir>", "read this data dir instead of the config's dataDir");
}

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
