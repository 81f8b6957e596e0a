import type { Command } from "commander";
import { LosError } from "../../core/errors.js";
import { parseDuration } from "../time-arg.js";
import { waitForStop } from "../wait-for-signal.js";

interface SimOptions {
  model: string;
  host: string;
  port: string;
  rtu?: string;
  units: string;
  baud: string;
  duration?: string;
  controlPort: string;
  profile?: string;
}

/** Unit ids per transport: TCP any byte (0 and 255 are common), RTU 1..247 (0 is broadcast). */
export function parseUnits(text: string, transport: "tcp" | "rtu"): number[] {
  const units = text.split(",").map((s) => (/^\s*\d+\s*$/.test(s) ? Number(s) : NaN));
  const [lo, hi] = transport === "rtu" ? [1, 247] : [0, 255];
  if (units.some((u) => !Number.isInteger(u) || u < lo || u > hi)) {
    const rtu = transport === "rtu" ? " (0 is the RTU broadcast address and 248-255 are reserved)" : "";
    throw new LosError("LOS_E_USAGE", `--units "${text}": expected ${transport.toUpperCase()} unit ids ${lo}-${hi} separated by commas${rtu}`);
  }
  if (new Set(units).size !== units.length) throw new LosError("LOS_E_USAGE", `--units "${text}": a unit id is repeated`);
  return units;
}

export function parsePort(text: string, option: string): number {
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new LosError("LOS_E_USAGE", `${option} "${text}": expected a port 0-65535 (0 lets the OS choose)`);
  return port;
}

const MODELS = ["greenhouse", "registers", "profile", "building-loads", "factory-cell"] as const;

export function simModbusCommand(sim: Command): void {
  sim
    .command("modbus")
    .description("a Modbus TCP server (or RTU slave with --rtu) with a physical model; faults via the simulator API")
    .option("--model <name>", "greenhouse, registers, profile (serves --profile), building-loads or factory-cell", "greenhouse")
    .option("--profile <ref>", "with --model profile: a device profile, <vendor>/<model> from devices/ or a .yaml path")
    .option("--host <addr>", "TCP address to bind", "127.0.0.1")
    .option("--port <n>", "TCP port; 0 lets the OS choose", "5020")
    .option("--rtu <path>", "serve Modbus RTU on this serial port or pty instead of TCP")
    .option("--baud <n>", "RTU baud rate", "9600")
    .option("--units <ids>", "unit ids served, comma separated", "1")
    .option("--control-port <n>", "HTTP control API on 127.0.0.1 (state, faults, step, registers); 0 lets the OS choose", "0")
    .option("--duration <d>", "stop after this long (e.g. 30s); default: until Ctrl-C")
    .action(async (opts: SimOptions) => {
      if (!MODELS.includes(opts.model as (typeof MODELS)[number])) {
        throw new LosError("LOS_E_USAGE", `--model "${opts.model}": expected ${MODELS.join(", ")}`);
      }
      if ((opts.model === "profile") !== (opts.profile !== undefined)) {
        throw new LosError("LOS_E_USAGE", "--model profile and --profile <vendor/model | file.yaml> go together");
      }
      const port = parsePort(opts.port, "--port");
      const controlPort = parsePort(opts.controlPort, "--control-port");
      const duration = opts.duration ? parseDuration(opts.duration) : undefined;
      const profile = opts.profile === undefined ? undefined : await loadProfileRef(opts.profile);
      const common = { model: opts.model as (typeof MODELS)[number], profile, unitIds: parseUnits(opts.units, opts.rtu ? "rtu" : "tcp") } as const;
      const { startControlServer, startModbusSimulator } = await import("../../../simulators/index.js"); // loaded only when the command runs
      const s = opts.rtu
        ? await startModbusSimulator({ ...common, transport: "rtu", path: opts.rtu, baudRate: Number(opts.baud) })
        : await startModbusSimulator({ ...common, transport: "tcp", host: opts.host, port });
      const where = s.transport === "tcp" ? `${s.host}:${s.port}` : s.path;
      let control;
      try {
        control = await startControlServer(s, { port: controlPort });
      } catch (err) {
        await s.close();
        throw err;
      }
      const what = profile ? `${opts.model} ${profile.vendor}/${profile.model}` : opts.model;
      process.stdout.write(`modbus ${s.transport} simulator (${what}) on ${where}, unit ids ${s.unitIds.join(",")}; Ctrl-C stops\n`);
      process.stdout.write(`control API on ${control.url} (GET /state, GET|POST|DELETE /faults, POST /step, PUT /units/<id>/registers)\n`);
      await waitForStop(duration);
      await control.close();
      await s.close();
    });
}

async function loadProfileRef(ref: string) {
  const { loadProfileFile, resolveProfilePath } = await import("../../config/profile-load.js");
  return loadProfileFile(resolveProfilePath(ref, process.cwd()));
}
