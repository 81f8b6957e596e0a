import { resolve } from "node:path";
import type { Command } from "commander";
import type { ModbusSimulator } from "../../../simulators/index.js";
import type { Gateway } from "../../gateway.js";
import { parseDuration } from "../time-arg.js";
import { waitForStop } from "../wait-for-signal.js";

interface DemoOptions {
  duration?: string;
  speed: string;
  port: string;
  dataDir: string;
  logLevel: string;
}

/** Start the demo gateway; if the MQTT port is taken, fall back to one the OS chooses. */
async function startGateway(sim: ModbusSimulator, opts: DemoOptions): Promise<Gateway> {
  const [{ isLosError }, { createLogger }, { loadConfigValue }, { buildGateway }, { demoConfig }] = await Promise.all([
    import("../../core/errors.js"),
    import("../../core/logger.js"),
    import("../../config/load.js"),
    import("../../gateway.js"),
    import("../demo-config.js"),
  ]);
  const logger = createLogger(opts.logLevel as "info");
  const build = (port: number) =>
    buildGateway(loadConfigValue(demoConfig({ simPort: sim.port!, mqttPort: port, dataDir: resolve(opts.dataDir) }), process.cwd(), "demo"), { logger });
  try {
    return await build(Number(opts.port));
  } catch (err) {
    if (!isLosError(err, "LOS_E_BUS_LISTEN")) throw err;
    process.stderr.write(`MQTT port ${opts.port} is taken; using a free port instead\n`);
    return build(0);
  }
}

export function demoCommand(program: Command): void {
  program
    .command("demo")
    .description("run a demo site: a two-zone greenhouse simulator, a gateway and climate agents, with a live view")
    .option("--duration <d>", "stop after this long (e.g. 30s); default: until Ctrl-C")
    .option("--speed <n>", "simulated seconds per real second", "30")
    .option("--port <n>", "MQTT port on 127.0.0.1 (anonymous clients allowed there)", "1883")
    .option("--data-dir <dir>", "where history, audit and credentials go", "data/demo")
    .option("--log-level <level>", "gateway log level (logs go to stderr)", "warn")
    .action(async (opts: DemoOptions) => {
      const speed = Number(opts.speed);
      // the simulator and the gateway load only when the command runs (--help stays cheap)
      const [{ startModbusSimulator }, { renderLiveView }] = await Promise.all([import("../../../simulators/index.js"), import("../live-view.js")]);
      const sim = await startModbusSimulator({ transport: "tcp", port: 0, model: "greenhouse", unitIds: [1, 2] });
      const gateway = await startGateway(sim, opts);
      // run simulated time faster than the wall clock so the agents have something to do
      const stepMs = 250;
      const fast = setInterval(() => sim.step(stepMs * Math.max(0, speed - 1)), stepMs);
      const started = Date.now();
      const view = setInterval(() => renderLiveView(gateway, started, process.stdout), 1000);
      const mqtt = gateway.broker.listeners().find((l) => l.kind === "tcp");
      process.stdout.write(
        `LLMAgentOS demo: greenhouse zones gh1 and gh2 at ${speed}x speed; MQTT on ${mqtt?.host}:${mqtt?.port} ` +
          `(try: mosquitto_sub -p ${mqtt?.port} -t 'los/v1/#' -v); Ctrl-C stops\n`,
      );
      await waitForStop(opts.duration ? parseDuration(opts.duration) : undefined);
      clearInterval(fast);
      clearInterval(view);
      renderLiveView(gateway, started, process.stdout, true);
      await gateway.close();
      await sim.close();
      process.stdout.write(`history and audit are in ${resolve(opts.dataDir)}: try \`llmagentos audit -d ${opts.dataDir}\`\n`);
    });
}
