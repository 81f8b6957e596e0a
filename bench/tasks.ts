/**
 * Tasks and collaboration (issue 5), on real gateways (bench/tasks-gateway.ts) in this process:
 *   round:     auction round latency with 10, 100 and 1,000 in-process bidders: one task at a time,
 *              from tasks.create() to the task `awarded` (announce, every bid, ranking, confirmation)
 *              and to `done` (plus the run); p50 and p99.
 *   rate:      tasks allocated per second: many tasks created at once, 100 bidders, the manager's
 *              default concurrency; first create → last task done.
 *   failover:  a worker agent wins a task and dies while running it (process.exit, or a busy loop the
 *              watchdog ends); from its own timestamp just before, to the backup bidder's task handler
 *              starting (exit seen, leases released, task re-announced without it, awarded, run).
 *   quality:   the contract net's allocation vs the integer optimum (HiGHS) on generated instances,
 *              per family: mean and min ratio, and the ratio to the LP bound on larger instances
 *              (bench/tasks-quality.ts).
 * Run alone: npx tsx bench/tasks.ts [--quick] (prints one line per figure, writes bench/results/tasks-*.json).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Agent } from "../src/agents/agent.js";
import { topics } from "../src/core/topics.js";
import { resolveTaskDefaults } from "../src/tasks/task-defaults.js";
import { judge, round, type BenchResult } from "./result.js";
import { addBidders, FIXTURE, JOB, StateClock, startGateway, until, wallMs } from "./tasks-gateway.js";
import { benchBound, benchQuality, type BoundRun, type QualityRun } from "./tasks-quality.js";

export interface Quantiles {
  p50: number;
  p99: number;
  max: number;
  mean: number;
}
export interface RoundRun {
  bidders: number;
  rounds: number;
  toAwarded: Quantiles;
  toDone: Quantiles;
}
export interface RateRun {
  bidders: number;
  tasks: number;
  concurrency: number;
  seconds: number;
  perSec: number;
  failed: number;
}
export interface FailoverRun {
  role: "exit" | "hang";
  heartbeatMs: number;
  runs: number[];
  /** the task's state after each run (done expected) */
  states: string[];
}
export interface TasksReport {
  round: RoundRun[];
  rate: RateRun[];
  failover: FailoverRun[];
  quality: QualityRun[];
  bound: BoundRun[];
}

function quantiles(values: number[]): Quantiles {
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] ?? Number.NaN;
  return { p50: round(q(0.5), 2), p99: round(q(0.99), 2), max: round(s[s.length - 1] ?? Number.NaN, 2), mean: round(s.reduce((a, b) => a + b, 0) / s.length, 2) };
}

/** One task at a time: announce → bids → award → run, with n bidders. */
export async function benchRound(bidders: number, rounds: number): Promise<RoundRun> {
  const { gateway, close } = await startGateway({ tasks: { auction: { bidWindowMs: 2000, confirmMs: 1000 } } });
  const states = new StateClock(gateway);
  try {
    await addBidders(gateway, bidders);
    const toAwarded: number[] = [];
    const toDone: number[] = [];
    const warmup = Math.min(10, rounds);
    for (let i = -warmup; i < rounds; i++) {
      const started = performance.now();
      const task = gateway.tasks.create({ type: JOB }, "code");
      const done = await gateway.tasks.waitFor(task.id);
      if (done.state !== "done") throw new Error(`task ${task.id} ended ${done.state}: ${done.error?.message ?? ""}`);
      if (i < 0) continue;
      const at = states.at.get(task.id);
      toAwarded.push((at?.awarded ?? Number.NaN) - started);
      toDone.push((at?.done ?? Number.NaN) - started);
    }
    return { bidders, rounds, toAwarded: quantiles(toAwarded), toDone: quantiles(toDone) };
  } finally {
    states.close();
    await close();
  }
}

/** Many tasks at once to 100 bidders: allocated and done per second. */
export async function benchRate(bidders: number, tasks: number, concurrency = resolveTaskDefaults().concurrency): Promise<RateRun> {
  const { gateway, close } = await startGateway({ tasks: { concurrency, auction: { bidWindowMs: 2000, confirmMs: 1000 } } });
  try {
    await addBidders(gateway, bidders);
    const started = performance.now();
    const ids = Array.from({ length: tasks }, () => gateway.tasks.create({ type: JOB }, "code").id);
    const ends = await Promise.all(ids.map((id) => gateway.tasks.waitFor(id)));
    const seconds = (performance.now() - started) / 1000;
    return { bidders, tasks, concurrency, seconds: round(seconds, 2), perSec: round(tasks / seconds, 1), failed: ends.filter((t) => t.state !== "done").length };
  } finally {
    await close();
  }
}

/** A worker winner dies running the task; the backup (an in-process bidder) takes it over. */
export async function benchFailover(role: "exit" | "hang", runs: number, heartbeatMs = 200): Promise<FailoverRun> {
  const victim = { id: "victim", isolation: "worker", heartbeatMs, policy: { kind: "module", file: FIXTURE, options: { role, bid: 10 } }, capabilities: { publish: ["t"] } };
  const { gateway, close } = await startGateway({ agents: [victim], tasks: { auction: { bidWindowMs: 2000, confirmMs: 1000 } } });
  let diedAt: number | undefined;
  let tookOverAt: number | undefined;
  const unsubscribe = gateway.bus.subscribe(topics.agentOut(gateway.scope, "victim", "t"), (_topic, payload) => {
    diedAt = (JSON.parse(payload.toString()) as { t: number }).t;
  });
  try {
    // the backup bids less than the victim and records when its handler starts
    const backup = new Agent("taker", { register: false })
      .onCallForProposals(() => ({ value: 1 }))
      .onTask(JOB, () => {
        tookOverAt ??= wallMs();
        return "ok";
      });
    gateway.addAgent(backup);
    const ready = () => gateway.agents.running().some((a) => a.id === "victim") && gateway.agents.running().some((a) => a.id === "taker");
    const times: number[] = [];
    const states: string[] = [];
    for (let i = 0; i < runs; i++) {
      await until(ready, 30_000, "victim and taker running");
      diedAt = undefined;
      tookOverAt = undefined;
      const task = gateway.tasks.create({ type: JOB }, "code");
      const end = await gateway.tasks.waitFor(task.id);
      states.push(end.state);
      await until(() => diedAt !== undefined, 5000, "the victim's timestamp");
      if (tookOverAt !== undefined && diedAt !== undefined) times.push(round(tookOverAt - diedAt, 1));
    }
    return { role, heartbeatMs, runs: times, states };
  } finally {
    unsubscribe();
    await close();
  }
}

export async function benchTasks(o: { quick?: boolean; log?: (s: string) => void } = {}): Promise<TasksReport> {
  const quick = o.quick ?? false;
  const log = o.log ?? (() => {});
  const report: TasksReport = { round: [], rate: [], failover: [], quality: [], bound: [] };
  for (const [bidders, rounds] of [[10, quick ? 100 : 300], [100, quick ? 50 : 200], [1000, quick ? 20 : 60]] as const) {
    log(`  auction rounds, ${bidders} bidders…`);
    report.round.push(await benchRound(bidders, rounds));
  }
  log("  tasks per second, 100 bidders…");
  report.rate.push(await benchRate(100, quick ? 300 : 1000));
  for (const role of ["exit", "hang"] as const) {
    log(`  failover, winner ${role === "exit" ? "exits" : "hangs"}…`);
    report.failover.push(await benchFailover(role, quick ? 2 : 5));
  }
  log("  allocation quality vs HiGHS optimum…");
  report.quality = await benchQuality(5, 15, quick ? 5 : 20, 10_000);
  report.bound = await benchBound(20, 100, quick ? 3 : 10);
  return report;
}

/** The bench table's lines for this part. */
export function taskResults(r: TasksReport): BenchResult[] {
  const out: BenchResult[] = [];
  for (const x of r.round) {
    out.push({ name: `auction round p50, ${x.bidders} bidders`, value: x.toAwarded.p50, unit: "ms", note: `create → awarded; ${x.rounds} rounds one at a time; with the run: p50 ${x.toDone.p50} ms` });
    out.push({ name: `auction round p99, ${x.bidders} bidders`, value: x.toAwarded.p99, unit: "ms", note: `max ${x.toAwarded.max} ms; with the run: p99 ${x.toDone.p99} ms` });
  }
  for (const x of r.rate) {
    out.push({ name: `tasks allocated and done per second, ${x.bidders} bidders`, value: x.perSec, unit: "tasks/s", note: `${x.tasks} tasks created at once in ${x.seconds} s, concurrency ${x.concurrency}, ${x.failed} not done` });
  }
  for (const x of r.failover) {
    const how = x.role === "exit" ? "exits (process.exit)" : "hangs (busy loop)";
    out.push({
      name: `winner ${how} → task running elsewhere (max)`,
      value: x.runs.length ? round(Math.max(...x.runs), 1) : Number.NaN,
      unit: "ms",
      note: `worker winner, heartbeat ${x.heartbeatMs} ms; runs ${x.runs.join(", ")} ms; final states ${x.states.join(", ")}`,
    });
  }
  for (const x of r.quality) {
    out.push({
      name: `allocation / optimum, ${x.family} (mean)`,
      value: x.meanRatio,
      unit: "ratio",
      note: `min ${x.minRatio}; announced by value per load: mean ${x.densityMeanRatio}, min ${x.densityMinRatio}; ${x.instances} instances of ${x.agents} agents × ${x.tasks} tasks, ${x.proved} optima proved; HiGHS ${x.meanSolveMs} ms, auction ${x.meanAuctionMs} ms per instance`,
    });
  }
  for (const x of r.bound) {
    out.push({ name: `allocation / LP bound, ${x.family} (mean)`, value: x.meanBoundRatio, unit: "ratio", note: `min ${x.minBoundRatio}; by value per load: mean ${x.densityMeanBoundRatio}; ${x.instances} instances of ${x.agents} agents × ${x.tasks} tasks; ≤ the ratio to the optimum` });
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = new Date();
  const quick = process.argv.includes("--quick");
  const report = await benchTasks({ quick, log: (s) => process.stderr.write(`${s}\n`) });
  const results = taskResults(report).map(judge);
  for (const x of results) console.log(`${x.name}: ${x.value} ${x.unit}${x.goal ? ` (goal ${x.goal}: ${x.pass ? "pass" : "FAIL"})` : ""}${x.note ? ` — ${x.note}` : ""}`);
  const dir = fileURLToPath(new URL("./results/", import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}tasks-${started.toISOString().replace(/[:.]/g, "-")}.json`;
  writeFileSync(file, `${JSON.stringify({ name: "tasks", startedAt: started.toISOString(), quick, results, raw: report }, null, 2)}\n`);
  process.stderr.write(`wrote ${file}\n`);
  process.exit(0);
}
