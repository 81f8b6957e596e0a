import type { Command } from "commander";
import { LosError } from "../../core/errors.js";
import { parseDuration } from "../time-arg.js";
import { waitForStop } from "../wait-for-signal.js";

interface SimSerialOptions {
  model: string;
  path?: string;
  pty?: boolean;
  baud: string;
  period: string;
  rate: string;
  pace: boolean;
  seed: string;
  address?: string;
  responseDelay: string;
  duration?: string;
}

const MODELS = ["gps", "weather", "command", "binary", "csv", "json"] as const;
type Model = (typeof MODELS)[number];

function positiveInt(text: string, option: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n > 0)) throw new LosError("LOS_E_USAGE", `${option} "${text}": expected a positive whole number`);
  return n;
}

export function simSerialCommand(sim: Command): void {
  sim
    .command("serial")
    .description("a serial device (NMEA GPS, NMEA weather station, command/response, binary-frame or CSV/JSON sensor) on a serial port or a pty pair")
    .requiredOption("--model <name>", MODELS.join(" | "))
    .option("--path <dev>", "serve on this serial port (e.g. /dev/ttyUSB1 or one end of a pty pair)")
    .option("--pty", "make a socat pty pair, serve on one end and print the other for the gateway")
    .option("--baud <n>", "baud rate; output is paced to baud/10 bytes per second", "9600")
    .option("--period <d>", "how often talking devices send (e.g. 1s, 200ms)", "1s")
    .option("--rate <mode>", "period, or max: send again as soon as the wire is free (benchmarks)", "period")
    .option("--no-pace", "write as fast as possible instead of at the baud rate")
    .option("--seed <n>", "seed of the models", "1")
    .option("--address <n>", "command model: RS-485 address 1-99 (requests then look like 07:READ?)")
    .option("--response-delay <d>", "command model: delay before each answer", "10ms")
    .option("--duration <d>", "stop after this long (e.g. 30s); default: until Ctrl-C")
    .action(async (opts: SimSerialOptions) => {
      if (!(MODELS as readonly string[]).includes(opts.model)) throw new LosError("LOS_E_USAGE", `--model "${opts.model}": expected one of ${MODELS.join(", ")}`);
      if (Boolean(opts.pty) === (opts.path !== undefined)) throw new LosError("LOS_E_USAGE", "give exactly one of --path <dev> or --pty");
      if (opts.rate !== "period" && opts.rate !== "max") throw new LosError("LOS_E_USAGE", `--rate "${opts.rate}": expected period or max`);
      const address = opts.address === undefined ? undefined : positiveInt(opts.address, "--address");
      if (address !== undefined && (opts.model !== "command" || address > 99)) {
        throw new LosError("LOS_E_USAGE", `--address "${opts.address}": expected 1-99, with --model command`);
      }
      const baudRate = positiveInt(opts.baud, "--baud");
      const seed = positiveInt(opts.seed, "--seed");
      const periodMs = parseDuration(opts.period);
      if (!(periodMs > 0)) throw new LosError("LOS_E_USAGE", `--period "${opts.period}": expected a duration above zero`);
      const responseDelayMs = parseDuration(opts.responseDelay);
      const duration = opts.duration ? parseDuration(opts.duration) : undefined;
      const { startSerialSimulator } = await import("../../../simulators/index.js"); // loaded only when the command runs
      const s = await startSerialSimulator({
        model: opts.model as Model,
        ...(opts.pty ? { pty: true } : { path: opts.path }),
        baudRate,
        periodMs,
        rate: opts.rate,
        pace: opts.pace,
        seed,
        responseDelayMs,
        command: { address },
      });
      const pacing = opts.pace ? `${baudRate} baud, paced` : `${baudRate} baud, unpaced`;
      process.stdout.write(`serial simulator (${s.model}) on ${s.simulatorPath}, ${pacing}; Ctrl-C stops\n`);
      if (opts.pty) process.stdout.write(`open ${s.path} in the gateway\n`);
      await waitForStop(duration);
      await s.close();
    });
}
