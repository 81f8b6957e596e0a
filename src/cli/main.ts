/**
 * The llmagentos command line. Every subcommand has --help; errors print their code and advice and
 * exit with a code from exit-codes.ts.
 *
 * Start-up cost matters (every invocation pays it, on a Raspberry Pi too): the command modules only
 * declare their options and import their implementation (gateway, store, config loader, simulators)
 * inside the action, so `--help`, `--version` and usage errors load commander and little else.
 */
import { Command, CommanderError } from "commander";
import { VERSION } from "../version.js";
import { agentsCommand } from "./commands/agents.js";
import { auditCommand } from "./commands/audit.js";
import { browseCommand } from "./commands/browse.js";
import { certsCommand } from "./commands/certs.js";
import { demoCommand } from "./commands/demo.js";
import { historyCommand } from "./commands/history.js";
import { pointsCommand } from "./commands/points.js";
import { runAgentCommand } from "./commands/run-agent.js";
import { scenarioCommand } from "./commands/scenario.js";
import { scanCommand } from "./commands/scan.js";
import { schemaCommand } from "./commands/schema.js";
import { simCommand } from "./commands/sim.js";
import { startCommand } from "./commands/start.js";
import { tasksCommand } from "./commands/tasks.js";
import { validateCommand } from "./commands/validate.js";
import { EXIT } from "./exit-codes.js";
import { reportError } from "./output.js";

const program = new Command("llmagentos")
  .description("LLMAgentOS: an agent operating system for edge and IoT gateways")
  .version(VERSION)
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride();

for (const add of [startCommand, demoCommand, validateCommand, simCommand, pointsCommand, agentsCommand, historyCommand, auditCommand, schemaCommand, scanCommand, certsCommand, browseCommand, runAgentCommand, scenarioCommand, tasksCommand]) {
  add(program);
}
program.commands.forEach(function exitOverrideAll(cmd: Command) {
  cmd.exitOverride();
  cmd.commands.forEach(exitOverrideAll);
});

try {
  await program.parseAsync(process.argv);
  // a command may have set its own code (a scenario that missed its goal)
  process.exitCode ??= EXIT.OK;
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version end here with exit code 0; usage errors were already printed
    process.exitCode = err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  } else {
    process.exitCode = reportError(err);
  }
}
