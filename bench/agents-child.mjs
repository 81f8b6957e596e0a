/**
 * Child process of the agents bench: plain `node --expose-gc` on the compiled build (dist/), so its
 * RSS is the supervisor's and its agents' alone (no tsx, no bench parent). It builds a real
 * Supervisor with the real hosts (in-process, worker, process) on the system clock; the gateway's
 * services are thin recorders: `actuate` answers ok and notes the arrival time (the moment a
 * request reaches the actuation path), `publishStatus` notes each state change. Agents are
 * bench/agents-fixture.mjs. One job per process, given as JSON in argv[2]; prints one JSON line.
 *   {job: "scale", kind, n}             add n echo agents one after another, each awaited to running
 *   {job: "restart", kind, role, runs}  crash/exit/hang one fresh agent per run, time to running again
 *   {job: "neighbour", noisy, agents, warmupMs, windowMs, periodMs}  decision latency of echo workers
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { clearInterval, clearTimeout, setInterval, setTimeout } from "node:timers";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL, URL } from "node:url";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const dist = pathToFileURL(`${join(ROOT, "dist")}/`);
const load = (path) => import(new URL(path, dist).href);
const { Supervisor } = await load("src/agents/supervisor.js");
const { compileGrants } = await load("src/agents/grants.js");
const { resolveManifest } = await load("src/config/agent-manifest.js");
const { LiveValues } = await load("src/core/live-values.js");
const { systemClock } = await load("src/core/clock.js");
const { silentLogger } = await load("src/core/types.js");
const { processTree } = await load("src/agents/isolation/process-tree-cpu.js");

const FIXTURE = join(ROOT, "bench", "agents-fixture.mjs");
const job = JSON.parse(process.argv[2] ?? "{}");
const wallMs = () => performance.timeOrigin + performance.now();

function rssNow() {
  globalThis.gc?.();
  return process.memoryUsage().rss;
}

/** the kernel's peak RSS of this process (threads included) */
function vmHwm() {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

/** RSS summed over this process's descendants (process agents: sh → bwrap → node), bytes */
function descendantsRss() {
  let sum = 0;
  for (const pid of processTree(process.pid).slice(1)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      sum += m ? Number(m[1]) * 1024 : 0;
    } catch {
      // gone meanwhile
    }
  }
  return sum;
}

async function until(cond, timeoutMs, what) {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(2);
  }
}

function agentConfig(id, kind, settings, extra = {}) {
  return {
    id,
    tenant: "bench",
    isolation: kind,
    policy: { kind: "module", file: FIXTURE, options: settings },
    capabilities: { read: [settings.input ?? "bench/in"], write: ["bench/out"], publish: ["t", "flood"] },
    ...extra,
  };
}

/** A supervisor whose gateway services only record. */
function harness() {
  const dataDir = mkdtempSync(join(tmpdir(), "los-bench-agents-"));
  const live = new LiveValues();
  const statusLog = []; // {id, state, restarts, at}
  const waiters = [];
  const rec = { actuations: 0, refused: 0, published: 0, onActuate: () => {}, onPublish: () => {} };
  let auditId = 0;
  const supervisor = new Supervisor({
    clock: systemClock,
    logger: silentLogger,
    live,
    configDir: ROOT,
    dataDir,
    grants: (m) => compileGrants({ tenant: m.tenant, capabilities: m.config.capabilities }, { deviceTenant: () => "bench", tenantPoints: () => undefined }),
    actuate: async (actor, point, value) => {
      rec.actuations++;
      rec.onActuate(actor.id, value, performance.now());
      return { ok: true, auditId: ++auditId, point, value };
    },
    refuse: (_actor, point, _value, _reason, code, message) => {
      rec.refused++;
      return { ok: false, auditId: ++auditId, point, code, message };
    },
    publish: async (agentId, sub, payload) => {
      rec.published++;
      rec.onPublish(agentId, sub, payload, wallMs());
    },
    publishStatus: (id, status) => {
      const e = { id, state: status.state, restarts: status.restarts, at: wallMs(), code: status.lastExit?.code };
      statusLog.push(e);
      for (const w of [...waiters]) {
        if (!w.match(e)) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    },
    driveToSafe: async () => {},
  });
  const waitStatus = (match, timeoutMs = 30_000) =>
    new Promise((resolveWait, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching status within ${timeoutMs} ms`)), timeoutMs);
      waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolveWait(e)) });
    });
  const deliver = (point, value) => {
    const r = { point, value, ts: Date.now(), quality: "good" };
    live.update([r]);
    supervisor.deliver([r]);
  };
  const close = async () => {
    await supervisor.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { supervisor, rec, statusLog, waitStatus, deliver, close };
}

async function scale({ kind, n }) {
  const h = harness();
  await h.supervisor.start();
  const rssBefore = rssNow();
  const startMs = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const id = `a${i}`;
    const running = h.waitStatus((e) => e.id === id && e.state === "running");
    const t = performance.now();
    h.supervisor.add(resolveManifest(agentConfig(id, kind, { role: "echo" })));
    await running;
    startMs.push(performance.now() - t);
  }
  const totalStartMs = performance.now() - t0;
  await sleep(1000); // let the agents' first heartbeats and start decisions pass
  const rssAfter = rssNow();
  const childrenRss = descendantsRss();
  h.deliver("bench/in", 1);
  await until(() => h.rec.actuations >= n, 30_000, `${n} actuations`);
  const decided = h.rec.actuations;
  const hwm = vmHwm();
  await h.close();
  return { kind, n, rssBefore, rssAfter, childrenRss, vmHwm: hwm, startMs, totalStartMs, decided };
}

async function restart({ kind, role, runs, settleMs = 700 }) {
  const h = harness();
  await h.supervisor.start();
  const crashAt = new Map();
  h.rec.onPublish = (id, sub, payload) => sub === "t" && crashAt.set(id, payload.t);
  const out = [];
  for (let i = 0; i < runs; i++) {
    const id = `${role}${i}`;
    const input = `bench/in${i}`;
    await (async () => {
      const running = h.waitStatus((e) => e.id === id && e.state === "running");
      h.supervisor.add(resolveManifest(agentConfig(id, kind, { role, input })));
      await running;
    })();
    // the watchdog watches from the first heartbeat it hears after start; the one the shell sends
    // with ready can arrive before the watch begins (process host), so wait past the second
    await sleep(settleMs);
    const exited = h.waitStatus((e) => e.id === id && e.state === "starting" && e.restarts === 1, 15_000);
    const back = h.waitStatus((e) => e.id === id && e.state === "running" && e.restarts === 1, 15_000);
    const delivered = wallMs();
    h.deliver(input, i);
    const ex = await exited;
    const up = await back;
    const crashed = crashAt.get(id) ?? delivered;
    out.push({ id, deliveredToCrash: crashed - delivered, detectMs: ex.at - crashed, restartMs: up.at - ex.at, totalMs: up.at - crashed, exitCode: ex.code });
  }
  const m = (await h.supervisor.statsOf(`${role}0`)) ?? {};
  await h.close();
  return { kind, role, runs: out, heartbeatMs: 500, snapshot: { state: m.state, restarts: m.restarts } };
}

const NOISY = {
  none: undefined,
  // a long watchdog keeps it spinning through the whole window
  busy: { role: "hang", heartbeatMs: 20_000 },
  flood: { role: "flood" },
  hog: { role: "hog" },
};

async function neighbour({ noisy, agents, warmupMs, windowMs, periodMs }) {
  const h = harness();
  await h.supervisor.start();
  const starts = [];
  for (let i = 0; i < agents; i++) {
    const id = `w${i}`;
    starts.push(h.waitStatus((e) => e.id === id && e.state === "running"));
    h.supervisor.add(resolveManifest(agentConfig(id, "worker", { role: "echo" }, { limits: { actuationsPerMinute: 6000 } })));
  }
  const n = NOISY[noisy];
  if (n) {
    starts.push(h.waitStatus((e) => e.id === "noisy" && e.state === "running"));
    const extra = { restart: { maxRestarts: 10_000, backoffMaxMs: 100 } };
    if (n.heartbeatMs) extra.heartbeatMs = n.heartbeatMs;
    h.supervisor.add(resolveManifest(agentConfig("noisy", "worker", { role: n.role }, extra)));
  }
  await Promise.all(starts);
  const sentAt = new Map();
  // readings sent inside the window count, whenever their actuations arrive
  let first = Infinity;
  let last = Infinity;
  const latencies = [];
  h.rec.onActuate = (id, value, now) => {
    const t = sentAt.get(value);
    if (t !== undefined && value >= first && value <= last && id !== "noisy") latencies.push(now - t);
  };
  let seq = 0;
  const timer = setInterval(() => {
    seq++;
    sentAt.set(seq, performance.now());
    h.deliver("bench/in", seq);
  }, periodMs);
  await sleep(warmupMs);
  const cpu0 = process.cpuUsage();
  first = seq + 1;
  await sleep(windowMs);
  last = seq;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(timer);
  const expected = (last - first + 1) * agents;
  await until(() => latencies.length >= expected, 2000, "the window's actuations").catch(() => {});
  const noisyStats = h.supervisor.statsOf("noisy");
  await h.close();
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return {
    noisy,
    agents,
    periodMs,
    windowMs,
    samples: latencies.length,
    expected,
    p50: q(0.5),
    p99: q(0.99),
    max: latencies.at(-1) ?? NaN,
    processCpuMs: (cpu.user + cpu.system) / 1000,
    noisyRestarts: noisyStats?.restarts ?? 0,
    noisyLastExit: noisyStats?.lastExit?.code,
  };
}

const jobs = { scale, restart, neighbour };
const run = jobs[job.job];
if (!run) throw new Error(`unknown job ${job.job}`);
process.stdout.write(`${JSON.stringify(await run(job))}\n`);
process.exit(0);
