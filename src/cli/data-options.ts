/**
 * The options of the commands that read a gateway's data (where the config or the data dir is),
 * without loading the config loader or the store: registering a command must stay cheap.
 */
import type { Command } from "commander";

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
