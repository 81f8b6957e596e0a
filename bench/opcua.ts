/**
 * The OPC-UA driver's benchmarks, each against the simulator's "signals" model in its own child
 * process (bench/opcua-sim-process.ts) and the gateway in another (bench/opcua-gateway-child.ts, the
 * compiled build), so CPU and RSS are the gateway's alone:
 *
 * (a) notifications per second: one device subscribed to N signals that all change every
 *     `changeEveryMs` (N × 1000 / changeEveryMs offered), through report by exception into SQLite
 *     history and the device's state message, counted by an external MQTT subscriber
 *     (bench/mqtt-counter.ts); CPU per notification of the gateway process;
 * (b) RSS cost of one OPC-UA connection: gateway RSS with one OPC-UA device (10 points) minus the
 *     same gateway without devices, after a garbage collection; and the RSS of importing node-opcua
 *     alone, in a fresh process;
 * (c) server restart → data flowing again: the simulator shuts down (every session and subscription
 *     gone) and starts again; the time from the start of the restart until values arrive through
 *     new subscriptions, with the shipped reconnect settings; median of a few restarts (resolution:
 *     one signal change, `changeEveryMs`).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnTsx, type Child } from "./child.js";
import { round, sleep } from "./result.js";
import { ensureBuild } from "./throughput.js";

export interface OpcuaBenchOptions {
  signals?: number;
  changeEveryMs?: number;
  warmupMs?: number;
  measureMs?: number;
  restarts?: number;
}

interface Mark {
  t: number;
  now: number;
  cpu: NodeJS.CpuUsage;
  rss: number;
  dev: { pointsRead: number; readingsEmitted: number; cycles: number; reconnects: number; failures: number };
  tel: { written: number; dropped: number };
}

export interface OpcuaBenchReport {
  signals: number;
  changeEveryMs: number;
  /** nominal: signals × 1000 / changeEveryMs */
  offeredPerSec: number;
  /** what the simulator actually changed in the window (its timer slips under load) */
  changedPerSec: number;
  seconds: number;
  notificationsPerSec: number;
  readingsPerSec: number;
  historyWrittenPerSec: number;
  mqttPointsPerSec: number;
  batchesPerSec: number;
  cpuUsPerNotification: number;
  cpuCores: number;
  gatewayRssMB: number;
  rssNoDevicesMB: number;
  rssOneDeviceMB: number;
  connectionRssMB: number;
  nodeOpcuaLoadRssMB: number;
  restartToDataMs: number[];
  restartToDataMedianMs: number;
  serverDownMs: number[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

function config(dir: string, endpoint: string | undefined, points: number): Record<string, unknown> {
  const devices: unknown[] = [];
  if (endpoint) {
    const profile = {
      vendor: "bench",
      model: "signals",
      protocol: "opcua",
      source: "bench/opcua.ts",
      defaults: { publishingMs: 100, samplingMs: 0, refreshMs: 600_000 },
      points: Array.from({ length: points }, (_, i) => ({ name: `s${i}`, nodeId: `ns=1;s=Signals.S${String(i).padStart(4, "0")}`, type: "Double", unit: "" })),
    };
    const file = join(dir, `signals-${points}.yaml`);
    writeFileSync(file, JSON.stringify(profile)); // JSON is YAML
    devices.push({ id: "sig", profile: file, connection: { type: "opcua", endpoint, securityMode: "None" } });
  }
  return {
    site: "bench",
    gateway: "gw",
    dataDir: join(dir, `data-${points}`),
    bus: { listeners: [{ kind: "tcp", host: "127.0.0.1", port: 0, allowAnonymous: true }] },
    devices,
  };
}

async function ask<T>(child: Child, msg: unknown, timeoutMs = 60_000): Promise<T> {
  child.send(JSON.stringify(msg));
  const answer = await child.next<T & { error?: string }>(timeoutMs);
  if (answer.error) throw new Error(`opcua gateway child: ${answer.error}`);
  return answer;
}

async function gatewayChild(): Promise<Child> {
  const child = spawnTsx("bench/opcua-gateway-child.ts", [], ["--expose-gc"]);
  await child.next(30_000);
  return child;
}

async function until(child: Child, cond: (m: Mark) => boolean, timeoutMs: number, everyMs = 20): Promise<Mark> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = await ask<Mark>(child, { cmd: "mark" });
    if (cond(m)) return m;
    if (Date.now() > deadline) throw new Error(`opcua bench: condition not met within ${timeoutMs} ms (${JSON.stringify(m.dev)})`);
    await sleep(everyMs);
  }
}

export async function benchOpcua(o: OpcuaBenchOptions = {}): Promise<OpcuaBenchReport> {
  const signals = o.signals ?? 2000;
  const changeEveryMs = o.changeEveryMs ?? 100;
  const warmupMs = o.warmupMs ?? 3000;
  const measureMs = o.measureMs ?? 10_000;
  const restarts = o.restarts ?? 3;
  ensureBuild();
  const dir = mkdtempSync(join(tmpdir(), "los-bench-opcua-"));
  const children: Child[] = [];
  const spawnChild = async (c: Promise<Child> | Child) => {
    const child = await c;
    children.push(child);
    return child;
  };
  try {
    const sim = await spawnChild(spawnTsx("bench/opcua-sim-process.ts", [String(signals), String(changeEveryMs)]));
    const { endpoint } = await sim.next<{ endpoint: string }>(60_000);

    // (b) memory: node-opcua alone, a gateway without devices, a gateway with one OPC-UA device
    const loader = await spawnChild(gatewayChild());
    const load = await ask<{ rssBefore: number; rssAfter: number }>(loader, { cmd: "loadOpcua" });
    await loader.stop();
    const rssOf = async (endpointOrNone: string | undefined) => {
      const child = await spawnChild(gatewayChild());
      await ask(child, { cmd: "start", config: config(dir, endpointOrNone, 10), dir });
      if (endpointOrNone) await until(child, (m) => m.dev.pointsRead >= 10, 30_000, 50);
      await sleep(2000);
      const m = await ask<Mark>(child, { cmd: "mark", gc: true });
      await ask(child, { cmd: "close" });
      await child.stop();
      return m.rss;
    };
    const rssNone = await rssOf(undefined);
    const rssOne = await rssOf(endpoint);

    // (a) notifications through the gateway to history and the bus
    const gw = await spawnChild(gatewayChild());
    const started = await ask<{ mqttPort: number }>(gw, { cmd: "start", config: config(dir, endpoint, signals), dir });
    const counter = await spawnChild(spawnTsx("bench/mqtt-counter.ts", [String(started.mqttPort)]));
    await counter.next(30_000);
    await until(gw, (m) => m.dev.pointsRead >= signals, 60_000, 100);
    await sleep(warmupMs);
    counter.send("mark");
    sim.send("mark");
    const [m0, q0, p0] = [await ask<Mark>(gw, { cmd: "mark" }), await counter.next<{ points: number }>(), await sim.next<{ steps: number }>()];
    await sleep(measureMs);
    counter.send("mark");
    sim.send("mark");
    const [m1, q1, p1] = [await ask<Mark>(gw, { cmd: "mark" }), await counter.next<{ points: number }>(), await sim.next<{ steps: number }>()];
    const s = (m1.t - m0.t) / 1000;
    const notifications = m1.dev.pointsRead - m0.dev.pointsRead;
    const cpuUs = m1.cpu.user + m1.cpu.system - (m0.cpu.user + m0.cpu.system);

    // (c) restarts: from the start of the restart until new notifications arrive after a reconnect
    const restartToData: number[] = [];
    const down: number[] = [];
    for (let i = 0; i < restarts; i++) {
      const before = await ask<Mark>(gw, { cmd: "mark" });
      sim.send("restart");
      const { restartBegin } = await sim.next<{ restartBegin: number }>(10_000);
      const { restartEnd } = await sim.next<{ restartEnd: number }>(30_000);
      down.push(restartEnd - restartBegin);
      const back = await until(gw, (m) => m.dev.reconnects > before.dev.reconnects, 60_000);
      const flowing = await until(gw, (m) => m.dev.pointsRead > back.dev.pointsRead, 30_000, 10);
      restartToData.push(flowing.now - restartBegin);
      await sleep(1000);
    }
    await ask(gw, { cmd: "close" });

    return {
      signals,
      changeEveryMs,
      offeredPerSec: round((signals * 1000) / changeEveryMs, 0),
      changedPerSec: round(((p1.steps - p0.steps) * signals) / s, 0),
      seconds: round(s, 1),
      notificationsPerSec: round(notifications / s, 0),
      readingsPerSec: round((m1.dev.readingsEmitted - m0.dev.readingsEmitted) / s, 0),
      historyWrittenPerSec: round((m1.tel.written - m0.tel.written) / s, 0),
      mqttPointsPerSec: round((q1.points - q0.points) / s, 0),
      batchesPerSec: round((m1.dev.cycles - m0.dev.cycles) / s, 1),
      cpuUsPerNotification: round(cpuUs / Math.max(1, notifications), 2),
      cpuCores: round(cpuUs / 1e6 / s, 2),
      gatewayRssMB: round(m1.rss / 1048576, 1),
      rssNoDevicesMB: round(rssNone / 1048576, 1),
      rssOneDeviceMB: round(rssOne / 1048576, 1),
      connectionRssMB: round((rssOne - rssNone) / 1048576, 1),
      nodeOpcuaLoadRssMB: round((load.rssAfter - load.rssBefore) / 1048576, 1),
      restartToDataMs: restartToData,
      restartToDataMedianMs: median(restartToData),
      serverDownMs: down,
    };
  } finally {
    for (const c of children.reverse()) await c.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

// `node --import tsx bench/opcua.ts [--quick]`: this bench alone
if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes("--quick");
  const report = await benchOpcua(quick ? { warmupMs: 2000, measureMs: 5000, restarts: 2 } : {});
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.exit(0);
}
