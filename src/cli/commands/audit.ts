import type { Command } from "commander";
import { LosError } from "../../core/errors.js";
import { addDataOptions, type DataOptions } from "../data-options.js";
import { formatTime, printJson, printTable } from "../output.js";
import { parseInstant } from "../time-arg.js";

interface AuditOptions extends DataOptions {
  since?: string;
  point?: string;
  actor?: string;
  limit: string;
  json?: boolean;
}

export function auditCommand(program: Command): void {
  addDataOptions(
    program
      .command("audit")
      .description("every actuation attempt, accepted or refused, newest first")
      .option("--since <when>", "a duration back (15m, 2h) or a date")
      .option("--point <id>", "only this point")
      .option("--actor <id>", "only this agent, user or system actor")
      .option("--limit <n>", "at most this many records", "50")
      .option("--json", "print JSON"),
  ).action(async (opts: AuditOptions) => {
    const limit = Number(opts.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new LosError("LOS_E_USAGE", "--limit must be a positive integer");
    const { withStore } = await import("../common.js"); // the store loads only when the command runs
    const records = withStore(opts, (s) =>
      s.audit.list({
        limit,
        ...(opts.since ? { since: parseInstant(opts.since, Date.now()) } : {}),
        ...(opts.point ? { point: opts.point } : {}),
        ...(opts.actor ? { actor: opts.actor } : {}),
      }),
    );
    if (opts.json) return printJson(records);
    if (records.length === 0) return void process.stdout.write("no actuation attempts recorded\n");
    printTable(
      ["id", "time", "actor", "point", "value", "outcome", "reason"],
      records.map((r) => [r.id, formatTime(r.ts), `${r.actor.kind}:${r.actor.id}`, r.point, String(r.value), r.outcome + (r.code ? ` ${r.code}` : ""), r.reason]),
    );
  });
}
