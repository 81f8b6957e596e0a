import type { Command } from "commander";
import { LosError } from "../../core/errors.js";
import { addDataOptions, type DataOptions } from "../data-options.js";
import { formatTime, printJson, printTable } from "../output.js";
import { parseDuration, parseInstant } from "../time-arg.js";

interface HistoryOptions extends DataOptions {
  since: string;
  until?: string;
  limit: string;
  bucket?: string;
  json?: boolean;
}

export function historyCommand(program: Command): void {
  addDataOptions(
    program
      .command("history")
      .description("stored values of one point, raw or downsampled")
      .argument("<point>", "point id <device>/<point>, e.g. gh1/temperature")
      .option("--since <when>", "start: a duration back (15m, 2h, 7d) or a date", "1h")
      .option("--until <when>", "end: a duration back or a date (default now)")
      .option("--limit <n>", "at most this many raw samples", "1000")
      .option("--bucket <duration>", "downsample into buckets (min/max/avg/count), e.g. 1m")
      .option("--json", "print JSON"),
  ).action(async (point: string, opts: HistoryOptions) => {
    const now = Date.now();
    const since = parseInstant(opts.since, now);
    const until = opts.until ? parseInstant(opts.until, now) : now;
    const limit = Number(opts.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new LosError("LOS_E_USAGE", "--limit must be a positive integer");
    const { withStore } = await import("../common.js"); // the store loads only when the command runs
    withStore(opts, (s) => {
      if (opts.bucket) {
        const buckets = s.telemetry.downsample(point, { since, until, bucketMs: parseDuration(opts.bucket) });
        if (opts.json) return printJson(buckets);
        printTable(["bucket", "min", "max", "avg", "count"], buckets.map((b) => [formatTime(b.ts), b.min, b.max, b.avg, b.count]));
        return;
      }
      const rows = s.telemetry.range(point, { since, until, limit });
      if (opts.json) return printJson(rows);
      if (rows.length === 0) return void process.stdout.write(`no samples of ${point} in that window\n`);
      printTable(["time", "value", "quality"], rows.map((r) => [formatTime(r.ts), r.value === null ? "-" : String(r.value), r.quality]));
    });
  });
}
