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
}

function parseUnits(text: string): number[] {
  const units = text.split(",").map((s) => Number(s.trim()));
  if (units.some((u) => !Number.isInteger(u) || u < 0 || u > 247)) {
    throw new LosError("LOS_E_USAGE", `--units "${text}": expected unit ids 0-247 separated by commas`);
  }
  return units;
}

export function simCommand(program: Command): void {
  const sim = program.command("sim").description("run a device simulator that speaks the real protocol");
  sim
    .command("modbus")
    .description("a Modbus TCP server (or RTU slave with --rtu) with a physical model; faults via the simulator API")
    .option("--model <name>", "greenhouse or registers", "greenhouse")
    .option("--host <addr>", "TCP address to bind", "127.0.0.1")
    .option("--port <n>", "TCP port; 0 lets the OS choose", "5020")
    .option("--rtu <path>", "serve Modbus RTU on this serial port or pty instead of TCP")
    .option("--baud <n>", "RTU baud rate", "9600")
    .option("--units <ids>", "unit ids served, comma separated", "1")
    .option("--duration <d>", "stop after this long (e.g. 30s); default: until Ctrl-C")
    .action(async (opts: SimOptions) => {
      if (opts.model !== "greenhouse" && opts.model !== "registers") {
        throw new LosError("LOS_E_USAGE", `--model "${opts.model}": expected greenhouse or registers`);
      }
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new LosError("LOS_E_USAGE", "--port must be 0-65535");
      const common = { model: opts.model, unitIds: parseUnits(opts.units) } as const;
      const { startModbusSimulator } = await import("../../../simulators/index.js"); // loaded only when the command runs
      const s = opts.rtu
        ? await startModbusSimulator({ ...common, transport: "rtu", path: opts.rtu, baudRate: Number(opts.baud) })
        : await startModbusSimulator({ ...common, transport: "tcp", host: opts.host, port });
      const where = s.transport === "tcp" ? `${s.host}:${s.port}` : s.path;
      process.stdout.write(`modbus ${s.transport} simulator (${opts.model}) on ${where}, unit ids ${s.unitIds.join(",")}; Ctrl-C stops\n`);
      await waitForStop(opts.duration ? parseDuration(opts.duration) : undefined);
      await s.close();
    });
}
