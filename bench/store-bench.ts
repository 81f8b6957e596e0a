/**
 * Telemetry write throughput: append `rows` readings (100 points, numbers) to a TelemetryRepo on a
 * real history.db in a temp dir, in batches of 100 like a poller would, then flush. Measures append
 * plus every flush (size-triggered at the default 5000 rows), i.e. the cost to get rows committed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../src/core/clock.js";
import type { Reading } from "../src/core/types.js";
import { openStore } from "../src/store/store.js";

export async function benchTelemetryWrites(opts: { rows: number }): Promise<{ rowsPerSec: number; usPerRow: number }> {
  const dir = mkdtempSync(join(tmpdir(), "los-store-bench-"));
  const store = openStore({ dataDir: dir, clock: systemClock, retention: false });
  try {
    const POINTS = 100;
    const names = Array.from({ length: POINTS }, (_, i) => `bench-dev/p${i}`);
    // Pre-built batches: the bench measures the store, not building readings.
    const batches: Reading[][] = [];
    const t0 = Date.now();
    for (let done = 0; done < opts.rows; ) {
      const n = Math.min(POINTS, opts.rows - done);
      batches.push(Array.from({ length: n }, (_, k) => ({ point: names[k]!, ts: t0 + done, value: (done + k) * 0.5, quality: "good" as const })));
      done += n;
    }
    store.telemetry.append(batches[0]!.slice(0, 1)); // warm up: intern one point, prepare statements
    store.telemetry.flush();
    const start = process.hrtime.bigint();
    for (const b of batches) store.telemetry.append(b);
    store.telemetry.flush();
    const ns = Number(process.hrtime.bigint() - start);
    const rows = opts.rows;
    return { rowsPerSec: Math.round(rows / (ns / 1e9)), usPerRow: ns / 1000 / rows };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = Number(process.argv[2] ?? 200_000);
  console.log(JSON.stringify(await benchTelemetryWrites({ rows })));
}
