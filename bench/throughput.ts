/**
 * Throughput and CPU cost of the gateway's hot path: 100 simulated Modbus TCP devices (20 drifting
 * points each, deadband 0) polled every 95 ms → 21,053 points/s offered (a little over the 20,000
 * goal, so that pass/fail does not hinge on ±1 % of counting) through decode → live values → SQLite
 * history → one retained state message per device → an external MQTT subscriber.
 *
 * Three child processes, so the figures are the gateway's alone: the gateway under test
 * (bench/gateway-child.mjs: plain `node` on the compiled build in dist/ with the V8 setting of
 * bin/runtime.mjs, as `llmagentos start` runs it; dist/ is rebuilt first when stale), the simulators
 * (bench/sim-process.ts) and the subscriber (bench/mqtt-counter.ts). CPU is the gateway child's
 * process.cpuUsage(), RSS its own memoryUsage().rss sampled every 200 ms. Run once with merged block
 * reads and once with one request per point.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, spawnTsx } from "./child.js";
import { checkProfileMatches, REGISTER_PROFILE } from "./register-map.js";
import { round, sleep } from "./result.js";

export interface ThroughputOptions {
  devices?: number;
  /** default 95 ms: 21,053 points/s offered with 100 devices × 20 points */
  pollMs?: number;
  warmupMs?: number;
  measureMs?: number;
  mergeReads?: boolean;
  /** simulator model step (ms): well under pollMs so every poll sees new values */
  simTickMs?: number;
  /** false: the gateway child runs without the bin's V8 setting (LLMAGENTOS_V8_TUNING=0) */
  v8Tuning?: boolean;
  /** node flags for the gateway child (one with "semi-space" replaces the bin's V8 setting) */
  gatewayNodeArgs?: string[];
  /**
   * requests in flight per device connection (default 2, both modes): each device is its own Modbus
   * TCP server, and servers commonly take several transactions at once (the MBAP transaction id is
   * there for it); the two blocks of a cycle then share one socket write. 1 = one at a time.
   */
  maxInFlight?: number;
}

export interface ThroughputReport {
  mergeReads: boolean;
  maxInFlight: number;
  devices: number;
  pointsPerDevice: number;
  pollMs: number;
  seconds: number;
  /** nominal points/s: devices × points × 1000 / pollMs */
  offeredPointsPerSec: number;
  pointsReadPerSec: number;
  readingsEmittedPerSec: number;
  historyWrittenPerSec: number;
  mqttPointsPerSec: number;
  mqttMessagesPerSec: number;
  /** gateway child's user + system CPU per reading emitted */
  cpuUsPerPoint: number;
  cpuUserUsPerPoint: number;
  cpuSystemUsPerPoint: number;
  /** share of one core used by the gateway process */
  cpuCores: number;
  /** max rss of the gateway child, sampled every 200 ms in the window */
  rssMaxMB: number;
  /** the gateway child's VmHWM (kernel's peak RSS since the child started) at the end of the window */
  rssPeakMB: number | undefined;
  /** the gateway child's RSS at the end of the window: anonymous memory (heaps, malloc) and file pages (code) */
  rssSplitEndMB: { anon: number | undefined; file: number | undefined };
  /** RSS of the gateway child just before the gateway was built (node + the project's modules) */
  rssBeforeMB: number;
  heapUsedMaxMB: number;
  /** max size of V8's new space (one semi-space: the young generation commits two), sampled every 200 ms */
  newSpaceMaxMB: number;
  /** V8's heap spaces (committed size, MB) at the end of the window */
  heapSpacesEndMB: Record<string, number>;
  /** the gateway child's memoryUsage() at the end of the window, MB */
  memoryEndMB: { rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number };
  /** how the gateway child ran */
  gatewayProcess: { runtime: "dist"; execArgv: string[]; v8Tuned: boolean };
  requestsPerCycle: number;
  requestsPerSec: number;
  cyclesPerSec: number;
  overruns: number;
  dropped: number;
  failures: number;
  historyDropped: number;
}

interface DeviceStats {
  readingsEmitted: number;
  pointsRead: number;
  cycles: number;
  requests: number;
  dropped: number;
  failures: number;
}
interface GatewayMark {
  t: number;
  cpu: NodeJS.CpuUsage;
  mem: NodeJS.MemoryUsage;
  rssMax: number;
  heapMax: number;
  newSpaceMax: number;
  heapSpaces: Record<string, number>;
  vmHwm?: number;
  rssAnon?: number;
  rssFile?: number;
  dev: DeviceStats;
  tel: { written: number; dropped: number };
  overruns: number;
}
interface GatewayStarted {
  pointsPerDevice: number;
  mqttPort: number;
  rssBefore: number;
  execArgv: string[];
  v8Tuned: boolean;
}

/** Rebuild dist/ when a file in src/ or simulators/ is newer than it (as `npm start` does). */
export function ensureBuild(): void {
  const build = spawnSync(process.execPath, ["scripts/build.mjs", "--if-stale", "--quiet"], { cwd: ROOT, stdio: "inherit" });
  if (build.status !== 0) throw new Error("npm run build failed");
}

/** bench/gateway-child.mjs with an IPC channel: plain node, no tsx, by default no node flags. */
function spawnGateway(nodeArgs: string[], v8Tuning: boolean) {
  const env = { ...process.env, LLMAGENTOS_V8_TUNING: v8Tuning ? "1" : "0" };
  const proc: ChildProcess = spawn(process.execPath, [...nodeArgs, "bench/gateway-child.mjs"], { cwd: ROOT, env, stdio: ["ignore", "inherit", "pipe", "ipc"] });
  let stderr = "";
  proc.stderr!.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const queue: unknown[] = [];
  const waiters: ((v: unknown) => void)[] = [];
  proc.on("message", (m) => {
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => proc.on("exit", () => ((exited = true), resolve())));
  const next = <T>(timeoutMs = 30_000): Promise<T> => {
    const check = (m: unknown): T => {
      if (m && typeof m === "object" && "error" in m) throw new Error(`gateway child: ${String((m as { error: unknown }).error)}`);
      return m as T;
    };
    if (queue.length > 0) return Promise.resolve(queue.shift()).then(check);
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`gateway child: no answer within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
      void exit.then(() => {
        clearTimeout(timer);
        reject(new Error(`gateway child exited (code ${proc.exitCode}); stderr: ${stderr}`));
      });
      waiters.push((v) => {
        clearTimeout(timer);
        resolve(v);
      });
    }).then(check);
  };
  const request = <T>(msg: object, timeoutMs?: number) => {
    proc.send(msg);
    return next<T>(timeoutMs);
  };
  const stop = async () => {
    if (exited) return;
    if (proc.connected) {
      try {
        await request({ cmd: "close" }, 10_000);
      } catch {
        // killed below
      }
    }
    const t1 = setTimeout(() => proc.kill("SIGTERM"), 2000);
    const t2 = setTimeout(() => proc.kill("SIGKILL"), 5000);
    await exit;
    clearTimeout(t1);
    clearTimeout(t2);
  };
  return { proc, next, request, stop };
}

const MB = (n: number) => round(n / 1048576, 1);

export async function benchThroughput(o: ThroughputOptions = {}): Promise<ThroughputReport> {
  const devices = o.devices ?? 100;
  const pollMs = o.pollMs ?? 95;
  const warmupMs = o.warmupMs ?? 3000;
  const measureMs = o.measureMs ?? 15_000;
  const mergeReads = o.mergeReads ?? true;
  const maxInFlight = o.maxInFlight ?? 2;
  checkProfileMatches();
  ensureBuild();

  const sim = spawnTsx("bench/sim-process.ts", [String(devices), String(o.simTickMs ?? Math.max(10, Math.floor(pollMs / 4)))]);
  const dir = mkdtempSync(join(tmpdir(), "los-bench-throughput-"));
  let counter: ReturnType<typeof spawnTsx> | undefined;
  const gw = spawnGateway(o.gatewayNodeArgs ?? [], o.v8Tuning ?? true);
  try {
    await gw.next(60_000);
    const { ports } = await sim.next<{ ports: number[] }>(60_000);
    const config = {
      site: "bench",
      gateway: "gw1",
      dataDir: join(dir, "data"),
      bus: { listeners: [{ kind: "tcp", host: "127.0.0.1", port: 0, allowAnonymous: true }] },
      safeOnShutdown: false,
      devices: ports.map((port, i) => ({
        id: `dev${String(i + 1).padStart(3, "0")}`,
        profile: REGISTER_PROFILE,
        connection: { type: "modbus-tcp", host: "127.0.0.1", port, unitId: 1, timeoutMs: 1000, maxInFlight },
        pollMs,
      })),
    };
    const started = await gw.request<GatewayStarted>({ cmd: "start", config, dir, mergeReads }, 60_000);
    counter = spawnTsx("bench/mqtt-counter.ts", [String(started.mqttPort)]);
    await counter.next(30_000);

    await sleep(warmupMs);

    type Mark = { messages: number; points: number };
    const mark = async () => {
      // the gateway child commits what is buffered first, so that both marks sit on a flush
      // boundary: otherwise the history figure is off by up to one flush (1 s of rows) per window
      const g = await gw.request<GatewayMark>({ cmd: "mark" });
      counter!.send("mark");
      return { ...g, mqtt: await counter!.next<Mark>() };
    };
    const a = await mark(); // also resets the child's RSS / heap maxima
    await sleep(measureMs);
    const b = await mark();

    const s = (b.t - a.t) / 1000;
    const emitted = b.dev.readingsEmitted - a.dev.readingsEmitted;
    const user = b.cpu.user - a.cpu.user;
    const system = b.cpu.system - a.cpu.system;
    const cycles = b.dev.cycles - a.dev.cycles;
    const requests = b.dev.requests - a.dev.requests;
    return {
      mergeReads,
      maxInFlight,
      devices,
      pointsPerDevice: started.pointsPerDevice,
      pollMs,
      seconds: round(s, 1),
      offeredPointsPerSec: Math.round((devices * started.pointsPerDevice * 1000) / pollMs),
      pointsReadPerSec: Math.round((b.dev.pointsRead - a.dev.pointsRead) / s),
      readingsEmittedPerSec: Math.round(emitted / s),
      historyWrittenPerSec: Math.round((b.tel.written - a.tel.written) / s),
      mqttPointsPerSec: Math.round((b.mqtt.points - a.mqtt.points) / s),
      mqttMessagesPerSec: Math.round((b.mqtt.messages - a.mqtt.messages) / s),
      cpuUsPerPoint: round((user + system) / emitted),
      cpuUserUsPerPoint: round(user / emitted),
      cpuSystemUsPerPoint: round(system / emitted),
      cpuCores: round((user + system) / 1e6 / s),
      rssMaxMB: MB(b.rssMax),
      rssPeakMB: b.vmHwm === undefined ? undefined : MB(b.vmHwm),
      rssSplitEndMB: { anon: b.rssAnon === undefined ? undefined : MB(b.rssAnon), file: b.rssFile === undefined ? undefined : MB(b.rssFile) },
      rssBeforeMB: MB(started.rssBefore),
      heapUsedMaxMB: MB(b.heapMax),
      newSpaceMaxMB: MB(b.newSpaceMax),
      heapSpacesEndMB: Object.fromEntries(Object.entries(b.heapSpaces).map(([k, v]) => [k, MB(v)])),
      memoryEndMB: { rss: MB(b.mem.rss), heapTotal: MB(b.mem.heapTotal), heapUsed: MB(b.mem.heapUsed), external: MB(b.mem.external), arrayBuffers: MB(b.mem.arrayBuffers) },
      gatewayProcess: { runtime: "dist", execArgv: started.execArgv, v8Tuned: started.v8Tuned },
      requestsPerCycle: round(requests / cycles),
      requestsPerSec: Math.round(requests / s),
      cyclesPerSec: round(cycles / s, 1),
      overruns: b.overruns - a.overruns,
      dropped: b.dev.dropped - a.dev.dropped,
      failures: b.dev.failures - a.dev.failures,
      historyDropped: b.tel.dropped - a.tel.dropped,
    };
  } finally {
    await counter?.stop();
    await gw.stop();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // throughput.ts [merged|per-point] [ms] [--no-v8-tuning] [--poll=<ms>] [--max-in-flight=<n>] [<node flag for the gateway child>…]
  const args = process.argv.slice(2);
  const plain = args.filter((a) => !a.startsWith("--"));
  const mergeReads = plain[0] !== "per-point";
  const measureMs = Number(plain[1] ?? 15_000);
  const poll = args.find((a) => a.startsWith("--poll="));
  const inFlight = args.find((a) => a.startsWith("--max-in-flight="));
  const gatewayNodeArgs = args.filter((a) => a.startsWith("--") && a !== "--no-v8-tuning" && a !== poll && a !== inFlight);
  const v8Tuning = !args.includes("--no-v8-tuning");
  const pollMs = poll ? Number(poll.slice("--poll=".length)) : undefined;
  const maxInFlight = inFlight ? Number(inFlight.slice("--max-in-flight=".length)) : undefined;
  const opts = { mergeReads, measureMs, v8Tuning, gatewayNodeArgs, ...(pollMs ? { pollMs } : {}), ...(maxInFlight ? { maxInFlight } : {}) };
  console.log(JSON.stringify(await benchThroughput(opts), null, 2));
}
