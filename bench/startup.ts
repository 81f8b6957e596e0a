/**
 * Cold start and idle memory: spawn bench/cold-start-child.ts (node --import tsx, as the
 * `llmagentos` command runs) with the demo configuration, and report the time from process start to
 * the first reading in the gateway and the RSS after idling. Repeated `runs` times; the median is
 * reported (the first run also pays for tsx's on-disk compile cache being cold).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnTsx } from "./child.js";
import { round } from "./result.js";

export interface StartupReport {
  runs: number;
  /** ms from process start to the first reading (median) */
  coldStartMs: number;
  coldStartMaxMs: number;
  /** ms spent before the project's first import (Node boot + tsx loader) */
  bootMs: number;
  /** ms importing the project's modules */
  importMs: number;
  /** ms building the gateway (store, credentials, broker, drivers, agents) */
  buildMs: number;
  /** ms from gateway started to the first reading */
  firstPollMs: number;
  idleRssMB: number;
  idleHeapUsedMB: number;
}

interface ChildReport {
  tImportStart: number;
  tImported: number;
  tStarted: number;
  tFirstReading: number;
  rss: number;
  heapUsed: number;
}

export async function benchStartup(o: { runs?: number; idleMs?: number } = {}): Promise<StartupReport> {
  const runs = o.runs ?? 3;
  const reports: ChildReport[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), "los-bench-start-"));
    const child = spawnTsx("bench/cold-start-child.ts", [dir, String(o.idleMs ?? 5000)]);
    try {
      reports.push(await child.next<ChildReport>(30_000));
    } finally {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const median = (f: (r: ChildReport) => number) => {
    const v = reports.map(f).sort((a, b) => a - b);
    return v[Math.floor(v.length / 2)]!;
  };
  return {
    runs,
    coldStartMs: round(median((r) => r.tFirstReading), 0),
    coldStartMaxMs: round(Math.max(...reports.map((r) => r.tFirstReading)), 0),
    bootMs: round(median((r) => r.tImportStart), 0),
    importMs: round(median((r) => r.tImported - r.tImportStart), 0),
    buildMs: round(median((r) => r.tStarted - r.tImported), 0),
    firstPollMs: round(median((r) => r.tFirstReading - r.tStarted), 0),
    idleRssMB: round(median((r) => r.rss) / 1048576, 1),
    idleHeapUsedMB: round(median((r) => r.heapUsed) / 1048576, 1),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchStartup(), null, 2));
}
