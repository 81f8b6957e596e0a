/**
 * Throughput and CPU cost of the gateway's hot path: 100 simulated Modbus TCP devices (20 drifting
 * points each, deadband 0) polled every 100 ms → 20,000 points/s through decode → live values →
 * SQLite history → one retained state message per device → an external MQTT subscriber.
 *
 * The simulators (bench/sim-process.ts) and the subscriber (bench/mqtt-counter.ts) run in child
 * processes, so process.cpuUsage() of this process is the gateway's cost alone (broker, SQLite and
 * Modbus client included). Run once with merged block reads and once with one request per point.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfigValue } from "../src/config/load.js";
import { buildGateway } from "../src/gateway.js";
import { spawnTsx } from "./child.js";
import { checkProfileMatches, REGISTER_PROFILE } from "./register-map.js";
import { round, sleep } from "./result.js";

export interface ThroughputOptions {
  devices?: number;
  pollMs?: number;
  warmupMs?: number;
  measureMs?: number;
  mergeReads?: boolean;
  /** simulator model step (ms): well under pollMs so every poll sees new values */
  simTickMs?: number;
}

export interface ThroughputReport {
  mergeReads: boolean;
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
  cpuUsPerPoint: number;
  cpuUserUsPerPoint: number;
  cpuSystemUsPerPoint: number;
  /** share of one core used by the gateway process */
  cpuCores: number;
  rssMaxMB: number;
  /** RSS of this process just before the gateway was built (runtime, tsx, modules loaded) */
  rssBeforeMB: number;
  heapUsedMaxMB: number;
  requestsPerCycle: number;
  requestsPerSec: number;
  cyclesPerSec: number;
  overruns: number;
  dropped: number;
  failures: number;
  historyDropped: number;
}

export async function benchThroughput(o: ThroughputOptions = {}): Promise<ThroughputReport> {
  const devices = o.devices ?? 100;
  const pollMs = o.pollMs ?? 100;
  const warmupMs = o.warmupMs ?? 3000;
  const measureMs = o.measureMs ?? 15_000;
  const mergeReads = o.mergeReads ?? true;
  checkProfileMatches();

  const sim = spawnTsx("bench/sim-process.ts", [String(devices), String(o.simTickMs ?? Math.max(10, Math.floor(pollMs / 4)))]);
  const dir = mkdtempSync(join(tmpdir(), "los-bench-throughput-"));
  let counter: ReturnType<typeof spawnTsx> | undefined;
  let gateway: Awaited<ReturnType<typeof buildGateway>> | undefined;
  try {
    const { ports } = await sim.next<{ ports: number[] }>(60_000);
    const config = loadConfigValue(
      {
        site: "bench",
        gateway: "gw1",
        dataDir: join(dir, "data"),
        bus: { listeners: [{ kind: "tcp", host: "127.0.0.1", port: 0, allowAnonymous: true }] },
        safeOnShutdown: false,
        devices: ports.map((port, i) => ({
          id: `dev${String(i + 1).padStart(3, "0")}`,
          profile: REGISTER_PROFILE,
          connection: { type: "modbus-tcp", host: "127.0.0.1", port, unitId: 1, timeoutMs: 1000 },
          pollMs,
        })),
      },
      dir,
      "<bench throughput config>",
    );
    const pointsPerDevice = config.devices[0]!.profile.points.length;
    const rssBeforeMB = round(process.memoryUsage().rss / 1048576, 1);
    gateway = await buildGateway(config, { mergeReads });
    const mqttPort = gateway.broker.listeners()[0]!.port;
    counter = spawnTsx("bench/mqtt-counter.ts", [String(mqttPort)]);
    await counter.next(30_000);

    await sleep(warmupMs);

    type Mark = { messages: number; points: number };
    const mark = async () => {
      // commit what is buffered, so that both marks sit on a flush boundary: otherwise the history
      // figure is off by up to one flush (flushRows, 1 s of rows) per window
      gateway!.store.telemetry.flush();
      counter!.send("mark");
      const m = await counter!.next<Mark>();
      return { t: performance.now(), cpu: process.cpuUsage(), dev: gateway!.devices.stats(), tel: gateway!.store.telemetry.stats(), mqtt: m };
    };
    let rssMax = 0;
    let heapMax = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      rssMax = Math.max(rssMax, m.rss);
      heapMax = Math.max(heapMax, m.heapUsed);
    }, 200);
    const overrunsOf = () => Object.values(gateway!.devices.health()).reduce((n, h) => n + h.poller.overruns, 0);
    const o0 = overrunsOf();
    const a = await mark();
    await sleep(measureMs);
    const b = await mark();
    clearInterval(sampler);
    const overruns = overrunsOf() - o0;

    const s = (b.t - a.t) / 1000;
    const emitted = b.dev.readingsEmitted - a.dev.readingsEmitted;
    const user = b.cpu.user - a.cpu.user;
    const system = b.cpu.system - a.cpu.system;
    const cycles = b.dev.cycles - a.dev.cycles;
    const requests = b.dev.requests - a.dev.requests;
    return {
      mergeReads,
      devices,
      pointsPerDevice,
      pollMs,
      seconds: round(s, 1),
      offeredPointsPerSec: Math.round((devices * pointsPerDevice * 1000) / pollMs),
      pointsReadPerSec: Math.round((b.dev.pointsRead - a.dev.pointsRead) / s),
      readingsEmittedPerSec: Math.round(emitted / s),
      historyWrittenPerSec: Math.round((b.tel.written - a.tel.written) / s),
      mqttPointsPerSec: Math.round((b.mqtt.points - a.mqtt.points) / s),
      mqttMessagesPerSec: Math.round((b.mqtt.messages - a.mqtt.messages) / s),
      cpuUsPerPoint: round((user + system) / emitted),
      cpuUserUsPerPoint: round(user / emitted),
      cpuSystemUsPerPoint: round(system / emitted),
      cpuCores: round((user + system) / 1e6 / s),
      rssMaxMB: round(rssMax / 1048576, 1),
      rssBeforeMB,
      heapUsedMaxMB: round(heapMax / 1048576, 1),
      requestsPerCycle: round(requests / cycles),
      requestsPerSec: Math.round(requests / s),
      cyclesPerSec: round(cycles / s, 1),
      overruns,
      dropped: b.dev.dropped - a.dev.dropped,
      failures: b.dev.failures - a.dev.failures,
      historyDropped: b.tel.dropped - a.tel.dropped,
    };
  } finally {
    await counter?.stop();
    await gateway?.close();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const mergeReads = process.argv[2] !== "per-point";
  const measureMs = Number(process.argv[3] ?? 15_000);
  console.log(JSON.stringify(await benchThroughput({ mergeReads, measureMs }), null, 2));
}
