import type { Command } from "commander";
import type { LogLevel } from "../../core/logger.js";
import { DEFAULT_CONFIG } from "../data-options.js";
import { parseDuration } from "../time-arg.js";
import { waitForStop } from "../wait-for-signal.js";

export function startCommand(program: Command): void {
  program
    .command("start")
    .description("run the gateway: broker, devices, history and agents, until SIGINT/SIGTERM")
    .option("-c, --config <file>", "gateway config file (env LOS_CONFIG)", DEFAULT_CONFIG)
    .option("--log-level <level>", "debug, info, warn or error (overrides the config)")
    .option("--duration <d>", "stop after this long (e.g. 30s), for tests and trials")
    .action(async (opts: { config: string; logLevel?: LogLevel; duration?: string }) => {
      // the gateway's modules load only when the command runs (--help stays cheap)
      const [{ loadConfigInWorker }, { createLogger }, { buildGateway }] = await Promise.all([
        // yaml and TypeBox load in a worker that ends: the running gateway needs neither (docs/config.md)
        import("../../config/load-in-worker.js"),
        import("../../core/logger.js"),
        import("../../gateway.js"),
      ]);
      const config = await loadConfigInWorker(opts.config);
      const logger = createLogger(opts.logLevel ?? config.config.log?.level ?? "info");
      const gateway = await buildGateway(config, { logger });
      const why = await waitForStop(opts.duration ? parseDuration(opts.duration) : undefined);
      logger.info({ signal: why }, "stopping");
      await gateway.close();
    });
}
