/**
 * Cold start, idle memory and CLI start-up, the way users run the `llmagentos` command: the compiled
 * build in dist/ (rebuilt first if src/ is newer) with plain `node` and the V8 setting of
 * bin/runtime.mjs. bench/cold-start-child.mjs starts the demo configuration and reports the time
 * from process start to the first reading in the gateway and the RSS after idling; repeated `runs`
 * times, medians reported. For comparison the same child also runs on the TypeScript sources through
 * tsx (`source`: how the command ran before the build existed). `llmagentos --help` is timed as a
 * whole process (spawn to exit), median of 5.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./child.js";
import { round } from "./result.js";

export interface ColdStart {
  runs: number;
  /** ms from process start to the first reading (median) */
  coldStartMs: number;
  coldStartMaxMs: number;
  /** ms spent before the project's first import (Node boot, plus the tsx loader for `source`) */
  bootMs: number;
  /** ms importing the project's modules */
  importMs: number;
  /** ms building the gateway (store, credentials, broker, drivers, agents) */
  buildMs: number;
  /** ms from gateway started to the first reading */
  firstPollMs: number;
  idleRssMB: number;
  idleHeapUsedMB: number;
  idleHeapTotalMB: number;
}

export interface StartupReport extends ColdStart {
  /** the same on the TypeScript sources through tsx (no build) */
  source: ColdStart;
  /** wall ms of `node bin/llmagentos.mjs --help` (median of 5), on dist/ and forced onto tsx */
  helpMs: number;
  helpSourceMs: number;
}

interface ChildReport {
  tImportStart: number;
  tImported: number;
  tStarted: number;
  tFirstReading: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
}

function runChild(mode: "dist" | "tsx", idleMs: number): Promise<ChildReport> {
  const dir = mkdtempSync(join(tmpdir(), "los-bench-start-"));
  const args = [...(mode === "tsx" ? ["--import", "tsx"] : []), "bench/cold-start-child.mjs", mode, dir, String(idleMs)];
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  proc.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  return new Promise<ChildReport>((resolve, reject) => {
    const timer = setTimeout(() => proc.kill("SIGKILL"), idleMs + 30_000);
    proc.on("close", (code) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      const line = stdout.split("\n").find((l) => l.startsWith("{"));
      if (code === 0 && line) resolve(JSON.parse(line) as ChildReport);
      else reject(new Error(`cold-start-child ${mode} exited with ${code}; stderr: ${stderr}`));
    });
  });
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

async function coldStart(mode: "dist" | "tsx", runs: number, idleMs: number): Promise<ColdStart> {
  const reports: ChildReport[] = [];
  for (let i = 0; i < runs; i++) reports.push(await runChild(mode, idleMs));
  const m = (f: (r: ChildReport) => number) => median(reports.map(f));
  return {
    runs,
    coldStartMs: round(m((r) => r.tFirstReading), 0),
    coldStartMaxMs: round(Math.max(...reports.map((r) => r.tFirstReading)), 0),
    bootMs: round(m((r) => r.tImportStart), 0),
    importMs: round(m((r) => r.tImported - r.tImportStart), 0),
    buildMs: round(m((r) => r.tStarted - r.tImported), 0),
    firstPollMs: round(m((r) => r.tFirstReading - r.tStarted), 0),
    idleRssMB: round(m((r) => r.rss) / 1048576, 1),
    idleHeapUsedMB: round(m((r) => r.heapUsed) / 1048576, 1),
    idleHeapTotalMB: round(m((r) => r.heapTotal) / 1048576, 1),
  };
}

function helpWallMs(runtime: "dist" | "tsx"): number {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, ["bin/llmagentos.mjs", "--help"], { cwd: ROOT, env: { ...process.env, LLMAGENTOS_RUNTIME: runtime } });
    if (r.status !== 0) throw new Error(`llmagentos --help exited with ${r.status}: ${r.stderr.toString()}`);
    times.push(performance.now() - t);
  }
  return round(median(times), 0);
}

export async function benchStartup(o: { runs?: number; idleMs?: number } = {}): Promise<StartupReport> {
  const runs = o.runs ?? 3;
  const idleMs = o.idleMs ?? 5000;
  const build = spawnSync(process.execPath, ["scripts/build.mjs", "--if-stale", "--quiet"], { cwd: ROOT, stdio: "inherit" });
  if (build.status !== 0) throw new Error("npm run build failed");
  const dist = await coldStart("dist", runs, idleMs);
  const source = await coldStart("tsx", runs, idleMs);
  return { ...dist, source, helpMs: helpWallMs("dist"), helpSourceMs: helpWallMs("tsx") };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchStartup(), null, 2));
}
