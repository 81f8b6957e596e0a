import { resolve } from "node:path";
import type { Command } from "commander";
import type { Gateway } from "../../gateway.js";
import { LosError } from "../../core/errors.js";
import type { DemoEndpoints } from "../demo-site.js";
import { parseDuration } from "../time-arg.js";
import { waitForStop } from "../wait-for-signal.js";

interface DemoOptions {
  site: string;
  duration?: string;
  speed: string;
  port: string;
  dataDir: string;
  logLevel: string;
}

/** Start the demo gateway; if the MQTT port is taken, fall back to one the OS chooses. */
async function startGateway(simPort: number, site: DemoEndpoints | undefined, opts: DemoOptions): Promise<Gateway> {
  const [{ isLosError }, { createLogger }, { loadConfigValueInWorker }, { buildGateway }, { demoConfig }] = await Promise.all([
    import("../../core/errors.js"),
    import("../../core/logger.js"),
    // yaml and TypeBox load in a worker that ends: the running gateway needs neither (docs/config.md)
    import("../../config/load-in-worker.js"),
    import("../../gateway.js"),
    import("../demo-config.js"),
  ]);
  const logger = createLogger(opts.logLevel as "info");
  const build = async (port: number) =>
    buildGateway(
      await loadConfigValueInWorker(demoConfig({ simPort, mqttPort: port, dataDir: resolve(opts.dataDir), ...(site ? { site } : {}) }), process.cwd(), "demo"),
      { logger },
    );
  try {
    return await build(Number(opts.port));
  } catch (err) {
    if (!isLosError(err, "LOS_E_BUS_LISTEN")) throw err;
    process.stderr.write(`MQTT port ${opts.port} is taken; using a free port instead\n`);
    return build(0);
  }
}

interface RunningSims {
  greenhousePort: number;
  site?: DemoEndpoints;
  step(ms: number): void;
  close(): Promise<void>;
}

/** The greenhouse alone, or every simulated device of the demo site (demo-site.ts). */
async function startSims(site: string): Promise<RunningSims> {
  if (site === "full") {
    const { startDemoSimulators } = await import("../demo-site.js");
    const sims = await startDemoSimulators();
    return { greenhousePort: sims.endpoints.greenhousePort, site: sims.endpoints, step: sims.step, close: sims.close };
  }
  const { startModbusSimulator } = await import("../../../simulators/index.js");
  const sim = await startModbusSimulator({ transport: "tcp", port: 0, model: "greenhouse", unitIds: [1, 2] });
  return { greenhousePort: sim.port!, step: (ms) => sim.step(ms), close: () => sim.close() };
}

export function demoCommand(program: Command): void {
  program
    .command("demo")
    .description("run a demo site on simulators (Modbus, OPC-UA and serial devices, a gateway and agents) with a live view")
    .option("--site <name>", "full: every device family; greenhouse: the two greenhouse zones only", "full")
    .option("--duration <d>", "stop after this long (e.g. 30s); default: until Ctrl-C")
    .option("--speed <n>", "simulated seconds per real second", "30")
    .option("--port <n>", "MQTT port on 127.0.0.1 (anonymous clients allowed there)", "1883")
    .option("--data-dir <dir>", "where history, audit and credentials go", "data/demo")
    .option("--log-level <level>", "gateway log level (logs go to stderr)", "warn")
    .action(async (opts: DemoOptions) => {
      if (opts.site !== "full" && opts.site !== "greenhouse") throw new LosError("LOS_E_USAGE", `--site "${opts.site}": expected full or greenhouse`);
      const speed = Number(opts.speed);
      // the simulators and the gateway load only when the command runs (--help stays cheap)
      const { renderLiveView } = await import("../live-view.js");
      process.stdout.write(opts.site === "full" ? "starting the demo site's simulators (Modbus, OPC-UA, serial)…\n" : "");
      const sims = await startSims(opts.site);
      let gateway: Gateway;
      try {
        gateway = await startGateway(sims.greenhousePort, sims.site, opts);
      } catch (err) {
        await sims.close();
        throw err;
      }
      // run simulated time faster than the wall clock so the agents have something to do
      const stepMs = 250;
      const fast = setInterval(() => sims.step(stepMs * Math.max(0, speed - 1)), stepMs);
      const started = Date.now();
      const view = setInterval(() => renderLiveView(gateway, started, process.stdout), 1000);
      const mqtt = gateway.broker.listeners().find((l) => l.kind === "tcp");
      process.stdout.write(
        `LLMAgentOS demo (${opts.site} site, ${gateway.config.devices.length} devices) at ${speed}x speed; MQTT on ${mqtt?.host}:${mqtt?.port} ` +
          `(try: mosquitto_sub -p ${mqtt?.port} -t 'los/v1/#' -v); Ctrl-C stops\n`,
      );
      await waitForStop(opts.duration ? parseDuration(opts.duration) : undefined);
      clearInterval(fast);
      clearInterval(view);
      renderLiveView(gateway, started, process.stdout, true);
      await gateway.close();
      await sims.close();
      process.stdout.write(`history and audit are in ${resolve(opts.dataDir)}: try \`llmagentos audit -d ${opts.dataDir}\`\n`);
    });
}
