import type { Command } from "commander";
import { LosError } from "../../core/errors.js";
import { EXIT } from "../exit-codes.js";
import { parseDuration } from "../time-arg.js";

interface RunOptions {
  json?: boolean;
  seed: string;
  duration?: string;
}

/** Exit code of a scenario that ran to its end but missed its goal. */
export const SCENARIO_GOAL_MISSED = EXIT.FAILURE;

export function scenarioCommand(program: Command): void {
  const scenario = program.command("scenario").description("multi-agent scenarios on simulators: tasks, negotiation, leases and fault tolerance end to end");
  scenario
    .command("list")
    .description("the scenarios and what each shows")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      const { SCENARIOS } = await import("../scenarios/registry.js");
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(SCENARIOS.map(({ name, summary, duration }) => ({ name, summary, duration })), null, 2)}\n`);
        return;
      }
      for (const s of SCENARIOS) process.stdout.write(`${s.name.padEnd(16)} ${s.summary}\n${"".padEnd(16)} --duration: ${s.duration}\n`);
    });
  scenario
    .command("run <name>")
    .description("run a scenario: its simulator in-process, a gateway on a temp data dir, simulated time compressed; prints the outcome; exit 0 when the goal is met, 1 when not")
    .option("--json", "print the outcome as JSON")
    .option("--seed <n>", "seed of the simulators", "1")
    .option("--duration <d>", "simulated duration (see `scenario list`), e.g. 15m")
    .action(async (name: string, opts: RunOptions) => {
      const { SCENARIOS } = await import("../scenarios/registry.js");
      const entry = SCENARIOS.find((s) => s.name === name);
      if (!entry) throw new LosError("LOS_E_USAGE", `no scenario "${name}"; try ${SCENARIOS.map((s) => s.name).join(" or ")} (llmagentos scenario list)`);
      if (!/^\d{1,9}$/.test(opts.seed)) throw new LosError("LOS_E_USAGE", `--seed "${opts.seed}": expected a whole number`);
      const durationMs = opts.duration === undefined ? undefined : parseDuration(opts.duration);
      if (durationMs !== undefined && !(durationMs >= 1000 && durationMs <= 86_400_000)) throw new LosError("LOS_E_USAGE", `--duration "${opts.duration}": expected 1s to 24h`);
      if (!opts.json) process.stdout.write(`running ${name} on simulators (simulated time runs faster than the clock)…\n`);
      const result = await entry.run({ seed: Number(opts.seed), ...(durationMs !== undefined ? { durationMs } : {}) });
      process.stdout.write(opts.json ? `${JSON.stringify(result.outcome, null, 2)}\n` : result.text);
      if (!result.goalMet) process.exitCode = SCENARIO_GOAL_MISSED;
    });
}
