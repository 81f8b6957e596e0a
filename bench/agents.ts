/**
 * Agents per gateway, restart after a crash or a hang, and a hostile agent's effect on the others
 * (issue 4). Every job runs in a fresh `node --expose-gc bench/agents-child.mjs` on the compiled
 * build (rebuilt first if stale), one job per process so RSS figures are clean. The child runs a
 * real Supervisor with the real hosts and records what reaches the gateway's services (see there).
 *   scale:     n echo agents of one kind added one after another; RSS before/after (after a GC of the
 *              main heap), start time per agent (add → status running), then one reading that every
 *              agent must answer with an actuation (all alive).
 *   restart:   one fresh agent per run crashes (uncaught throw in a timer, or process.exit) or hangs
 *              (busy loop) on a reading; from its own timestamp just before, to status running with
 *              restarts 1. Default manifest: heartbeatMs 500, watchdog 3 heartbeats, backoffMinMs 100.
 *   neighbour: 20 echo workers get a reading every periodMs; latency = deliver() → the actuation
 *              request arriving at the actuation path; p99 without and with one noisy worker. The
 *              machine's own noise moves a p99 of a few ms by more than a neighbour does, so the
 *              four jobs (none, busy, flood, hog) run in rounds, each ratio is taken against the
 *              baseline of its own round, and the result is the median over the rounds.
 */
import { spawn, spawnSync } from "node:child_process";
import { ROOT } from "./child.js";
import { judge, round, type BenchResult } from "./result.js";

type Kind = "in-process" | "worker" | "process";

interface ScaleRun {
  kind: Kind;
  n: number;
  rssBefore: number;
  rssAfter: number;
  childrenRss: number;
  vmHwm: number;
  startMs: number[];
  totalStartMs: number;
  decided: number;
}
interface RestartRun {
  deliveredToCrash: number;
  detectMs: number;
  restartMs: number;
  totalMs: number;
  exitCode: string;
}
interface RestartReport {
  kind: Kind;
  role: string;
  runs: RestartRun[];
}
interface NeighbourRun {
  noisy: string;
  agents: number;
  samples: number;
  expected: number;
  p50: number;
  p99: number;
  max: number;
  processCpuMs: number;
  noisyRestarts: number;
  noisyLastExit?: string;
}

export interface AgentsReport {
  scale: ScaleRun[];
  restart: RestartReport[];
  /** one list of runs (none, busy, flood, hog) per round */
  neighbour: NeighbourRun[][];
}

const NOISY = ["none", "busy", "flood", "hog"] as const;

function runJob<T>(job: object, timeoutMs = 120_000): Promise<T> {
  const proc = spawn(process.execPath, ["--expose-gc", "bench/agents-child.mjs", JSON.stringify(job)], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  proc.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
    proc.on("close", (code) => {
      clearTimeout(timer);
      const line = stdout.split("\n").find((l) => l.startsWith("{"));
      if (code === 0 && line) resolve(JSON.parse(line) as T);
      else reject(new Error(`agents-child ${JSON.stringify(job)} exited with ${code}; stderr: ${stderr}`));
    });
  });
}

const median = (v: number[]) => quantile(v, 0.5);
const quantile = (v: number[], q: number) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(q * v.length))] ?? NaN;

export async function benchAgents(o: { quick?: boolean; only?: "neighbour" } = {}): Promise<AgentsReport> {
  const quick = o.quick ?? false;
  const build = spawnSync(process.execPath, ["scripts/build.mjs", "--if-stale", "--quiet"], { cwd: ROOT, stdio: "inherit" });
  if (build.status !== 0) throw new Error("npm run build failed");
  const neighbour: NeighbourRun[][] = [];
  for (let round = 0; round < (quick ? 2 : 3); round++) {
    const runs: NeighbourRun[] = [];
    for (const noisy of NOISY) {
      runs.push(await runJob<NeighbourRun>({ job: "neighbour", noisy, agents: 20, warmupMs: 1000, windowMs: quick ? 3000 : 6000, periodMs: 50 }));
    }
    neighbour.push(runs);
  }
  if (o.only === "neighbour") return { scale: [], restart: [], neighbour };
  const scale: ScaleRun[] = [];
  for (const [kind, n] of [["in-process", 1000], ["worker", 50], ["process", quick ? 3 : 5]] as const) {
    scale.push(await runJob<ScaleRun>({ job: "scale", kind, n }));
  }
  const restart: RestartReport[] = [];
  const runs = quick ? 2 : 3;
  for (const [kind, role] of [["worker", "crash"], ["worker", "exit"], ["worker", "hang"], ["process", "exit"], ["process", "hang"]] as const) {
    restart.push(await runJob<RestartReport>({ job: "restart", kind, role, runs: kind === "process" ? Math.min(runs, 2) : runs }));
  }
  return { scale, restart, neighbour };
}

const mb = (bytes: number) => round(bytes / 1048576, 1);

/** The bench table's lines for this part. */
export function agentResults(r: AgentsReport): BenchResult[] {
  const out: BenchResult[] = [];
  const goals: Record<Kind, string | undefined> = { "in-process": ">= 1000", worker: ">= 50", process: undefined };
  for (const s of r.scale) {
    const perAgent = (s.rssAfter - s.rssBefore) / s.n;
    const goal = goals[s.kind];
    out.push({ name: `${s.kind} agents running and deciding`, value: s.decided, unit: "agents", ...(goal ? { goal } : {}), note: `gateway RSS ${mb(s.rssBefore)} → ${mb(s.rssAfter)} MB (peak ${mb(s.vmHwm)})` });
    if (s.kind === "worker") out.push({ name: `gateway RSS with ${s.n} worker agents`, value: mb(s.rssAfter), unit: "MB", goal: "<= 1024" });
    out.push({
      name: `${s.kind} agent memory (each)`,
      value: s.kind === "in-process" ? round(perAgent / 1024, 1) : mb(perAgent),
      unit: s.kind === "in-process" ? "KB" : "MB",
      note: s.kind === "process" ? `in the gateway; plus ${mb(s.childrenRss / s.n)} MB RSS of its own processes (sh, bwrap, node; shared pages counted in each)` : `gateway RSS growth / ${s.n}`,
    });
    out.push({ name: `${s.kind} agent start (median)`, value: round(quantile(s.startMs, 0.5), 1), unit: "ms", note: `p90 ${round(quantile(s.startMs, 0.9), 1)} ms; add → running, one after another; ${s.n} in ${round(s.totalStartMs, 0)} ms` });
  }
  for (const rs of r.restart) {
    const hang = rs.role === "hang";
    const totals = rs.runs.map((x) => x.totalMs);
    const how = hang ? "hung (busy loop)" : rs.role === "exit" ? "crashed (process.exit)" : "crashed (throw in a timer)";
    out.push({
      name: `${rs.kind} agent ${how} → running again (max)`,
      value: round(Math.max(...totals), 0),
      unit: "ms",
      goal: hang ? "< 3000" : "< 1000",
      note: `runs ${totals.map((t) => round(t, 0)).join(", ")} ms; detected after ${rs.runs.map((x) => round(x.detectMs, 0)).join(", ")} ms (${rs.runs[0]?.exitCode}), then backoff + start ${rs.runs.map((x) => round(x.restartMs, 0)).join(", ")} ms`,
    });
  }
  const what: Record<string, string> = { none: "no noisy neighbour", busy: "a busy-looping worker", flood: "a publish-flooding worker", hog: "a memory-hungry worker" };
  for (const noisy of NOISY) {
    const runs = r.neighbour.map((round) => ({ run: round.find((n) => n.noisy === noisy), base: round.find((n) => n.noisy === "none") }));
    const p99s = runs.map((x) => x.run?.p99 ?? NaN);
    const first = runs[0]?.run;
    if (!first) continue;
    const extra = noisy === "none" ? "" : `; neighbour restarted ${runs.map((x) => x.run?.noisyRestarts ?? 0).join(", ")}× (${first.noisyLastExit ?? "never ended"})`;
    const note = `p99 per round ${p99s.map((v) => round(v, 2)).join(", ")} ms; p50 ${runs.map((x) => round(x.run?.p50 ?? NaN, 2)).join(", ")} ms; actuations ${runs.map((x) => `${x.run?.samples ?? 0}/${x.run?.expected ?? 0}`).join(", ")}; gateway CPU ${runs.map((x) => round((x.run?.processCpuMs ?? NaN) / 1000, 1)).join(", ")} s${extra}`;
    out.push({ name: `decision p99, 20 workers, ${what[noisy] ?? noisy} (median of ${runs.length})`, value: round(median(p99s), 2), unit: "ms", note });
    if (noisy === "none") continue;
    const ratios = runs.map((x) => (x.run && x.base ? x.run.p99 / x.base.p99 : NaN));
    out.push({ name: `decision p99 with / without ${noisy} neighbour (median of rounds)`, value: round(median(ratios), 2), unit: "ratio", goal: "<= 2", note: `ratio per round ${ratios.map((v) => round(v, 2)).join(", ")}` });
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const report = await benchAgents({ quick: process.argv.includes("--quick"), ...(process.argv.includes("--neighbour") ? { only: "neighbour" as const } : {}) });
  const results = agentResults(report).map(judge);
  for (const x of results) console.log(`${x.name}: ${x.value} ${x.unit}${x.goal ? ` (goal ${x.goal}: ${x.pass ? "pass" : "FAIL"})` : ""}${x.note ? ` — ${x.note}` : ""}`);
  if (process.argv.includes("--json")) console.log(JSON.stringify(report));
}
