/**
 * `llmagentos agents [--json]`: every agent's state and accounting from the gateway's last snapshot
 * in the data dir (written every few seconds and on each state change, so it works while the
 * gateway runs). `agents spec` (container specs) is a sibling subcommand from agents-spec.ts.
 */
import type { Command } from "commander";
import { addDataOptions, type DataOptions } from "../data-options.js";
import { formatTime, printJson, printTable } from "../output.js";
import { agentsSpecCommand } from "./agents-spec.js";

export function agentsCommand(program: Command): void {
  const agents = program.command("agents").description("the gateway's agents: state, restarts and resource accounting (`agents spec` for container specs)");
  addDataOptions(
    agents
      .command("list", { isDefault: true })
      .description("state and accounting of every agent, from the data dir (works while the gateway runs)")
      .option("--json", "print JSON"),
  ).action(async (opts: DataOptions & { json?: boolean }) => {
    const { withStore } = await import("../common.js"); // the store loads only when the command runs
    const rows = withStore(opts, (s) => s.agents.list());
    if (opts.json) return printJson(rows);
    if (rows.length === 0) return void process.stdout.write("no agents recorded yet (has the gateway run with agents?)\n");
    printTable(
      ["agent", "tenant", "isolation", "state", "restarts", "cpu ms", "cpu yields", "heap MB", "in", "out", "logs", "acts", "refused", "limited", "last exit", "updated"],
      rows.map((a) => [
        a.id,
        a.tenant ?? "-",
        a.isolation,
        a.state,
        a.restarts,
        Math.round(a.cpuMs),
        a.cpuYields ?? 0,
        a.heapBytes > 0 ? (a.heapBytes / 1048576).toFixed(1) : "-",
        a.messagesIn,
        a.messagesOut,
        a.logLines,
        a.actuations,
        a.refused,
        a.rateLimited,
        a.lastExit ? `${a.lastExit.code} ${formatTime(a.lastExit.ts)}` : "-",
        formatTime(a.updatedAt),
      ]),
    );
  });
  agentsSpecCommand(agents);
}
