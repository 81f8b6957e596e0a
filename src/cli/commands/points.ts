import type { Command } from "commander";
import { addDataOptions, type DataOptions } from "../data-options.js";
import { formatTime, printJson, printTable } from "../output.js";

export function pointsCommand(program: Command): void {
  addDataOptions(
    program
      .command("points")
      .description("last value of every point (from the data dir; works while the gateway runs)")
      .argument("[prefix]", "only points starting with this, e.g. gh1/")
      .option("--json", "print JSON"),
  ).action(async (prefix: string | undefined, opts: DataOptions & { json?: boolean }) => {
    const { withStore } = await import("../common.js"); // the store loads only when the command runs
    const readings = withStore(opts, (s) => s.telemetry.lastAll(prefix ?? ""));
    if (opts.json) return printJson(readings);
    if (readings.length === 0) return void process.stdout.write("no readings yet\n");
    printTable(
      ["point", "value", "quality", "time"],
      readings.map((r) => [r.point, r.value === null ? "-" : String(r.value), r.quality + (r.error ? ` (${r.error})` : ""), formatTime(r.ts)]),
    );
  });
}
