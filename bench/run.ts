/**
 * `npm run bench`: runs every benchmark, prints one table (name, value, unit, goal, pass/fail) and
 * writes the full report to bench/results/<name>-<timestamp>.json and bench/results/latest.json.
 * Order matters for memory figures: the throughput bench runs first, in a fresh process.
 * Options: --quick (shorter windows), --name <label> (file name prefix, default "bench").
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, freemem, totalmem, platform, arch, release, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { agentResults, benchAgents } from "./agents.js";
import { benchBusPublish } from "./bus-bench.js";
import { benchOpcua } from "./opcua.js";
import { benchReaction } from "./reaction.js";
import { benchSerial } from "./serial.js";
import { judge, round, type BenchResult } from "./result.js";
import { benchStartup } from "./startup.js";
import { benchTelemetryWrites } from "./store-bench.js";
import { benchTasks, taskResults } from "./tasks.js";
import { benchThroughput } from "./throughput.js";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const nameAt = args.indexOf("--name");
const name = nameAt >= 0 ? (args[nameAt + 1] ?? "bench") : "bench";
const started = new Date();
const log = (s: string) => process.stderr.write(`${s}\n`);

const results: BenchResult[] = [];
const raw: Record<string, unknown> = {};
const add = (r: BenchResult) => results.push(judge(r));

log("throughput, merged reads (100 devices × 20 points every 100 ms)…");
const merged = await benchThroughput({ mergeReads: true, measureMs: quick ? 6000 : 15_000 });
raw.throughputMerged = merged;
add({ name: "history points/s (SQLite written)", value: merged.historyWrittenPerSec, unit: "points/s", goal: ">= 20000", note: `offered ${merged.offeredPointsPerSec}` });
add({ name: "MQTT points/s (external subscriber)", value: merged.mqttPointsPerSec, unit: "points/s", goal: ">= 20000" });
add({ name: "gateway CPU per point", value: merged.cpuUsPerPoint, unit: "µs/point", goal: "<= 7", note: `user ${merged.cpuUserUsPerPoint} + sys ${merged.cpuSystemUsPerPoint}; ${merged.cpuCores} core` });
add({ name: "gateway RSS under load (max)", value: merged.rssMaxMB, unit: "MB", goal: "<= 100", note: `${merged.rssBeforeMB} MB before the gateway was built` });
add({ name: "Modbus requests per poll cycle (merged)", value: merged.requestsPerCycle, unit: "req/cycle" });

log("throughput, one request per point…");
const perPoint = await benchThroughput({ mergeReads: false, measureMs: quick ? 5000 : 10_000 });
raw.throughputPerPoint = perPoint;
add({ name: "Modbus requests per poll cycle (per point)", value: perPoint.requestsPerCycle, unit: "req/cycle" });
add({ name: "per-point mode points/s read", value: perPoint.pointsReadPerSec, unit: "points/s", note: `offered ${perPoint.offeredPointsPerSec}` });
add({ name: "per-point mode CPU per point", value: perPoint.cpuUsPerPoint, unit: "µs/point" });
add({ name: "requests per cycle, merged / per point", value: round(merged.requestsPerCycle / perPoint.requestsPerCycle, 3), unit: "ratio" });
add({ name: "CPU per point, merged / per point", value: round(merged.cpuUsPerPoint / perPoint.cpuUsPerPoint, 3), unit: "ratio" });

log("reaction latency (greenhouse, agent switches the fan)…");
const reaction = await benchReaction({ samples: quick ? 100 : 250 });
raw.reaction = reaction;
add({ name: "reaction p50 (poll served → coil write)", value: reaction.servedToWrite.p50, unit: "ms" });
add({ name: "reaction p99 (poll served → coil write)", value: reaction.servedToWrite.p99, unit: "ms", goal: "< 20", note: `${reaction.samples} samples, ${reaction.timeouts} timeouts` });
add({ name: "reaction p99 (batch at agents → coil write)", value: reaction.deliverToWrite.p99, unit: "ms" });

log("cold start and idle RSS (demo config, child processes)…");
const startup = await benchStartup({ runs: quick ? 1 : 3, idleMs: quick ? 2000 : 5000 });
raw.startup = startup;
add({ name: "cold start to first reading (median)", value: startup.coldStartMs, unit: "ms", goal: "< 2000", note: `boot ${startup.bootMs} + imports ${startup.importMs} + build ${startup.buildMs} + first poll ${startup.firstPollMs}` });
add({ name: "idle RSS (demo config)", value: startup.idleRssMB, unit: "MB", goal: "< 80", note: `heap used ${startup.idleHeapUsedMB} of ${startup.idleHeapTotalMB} MB` });
add({ name: "llmagentos --help (wall, median)", value: startup.helpMs, unit: "ms", note: "whole process, compiled build" });
add({ name: "cold start, sources through tsx", value: startup.source.coldStartMs, unit: "ms", note: `boot ${startup.source.bootMs} + imports ${startup.source.importMs} + build ${startup.source.buildMs} + first poll ${startup.source.firstPollMs}` });
add({ name: "idle RSS, sources through tsx", value: startup.source.idleRssMB, unit: "MB", note: `--help through tsx: ${startup.helpSourceMs} ms` });

log("store micro-benchmark…");
const store = await benchTelemetryWrites({ rows: quick ? 50_000 : 200_000 });
raw.store = store;
add({ name: "telemetry writes (store only)", value: store.rowsPerSec, unit: "rows/s", note: `${round(store.usPerRow, 2)} µs/row` });

log("bus micro-benchmark…");
const bus = await benchBusPublish({ messages: quick ? 20_000 : 50_000, payloadBytes: 200 });
raw.bus = bus;
add({ name: "bus publish → TCP subscriber (200 B)", value: bus.msgsPerSec, unit: "msgs/s", note: `${bus.usPerMsg} µs/msg` });

log("serial lines at 115200 baud (pty at the wire limit)…");
for (const model of ["csv", "gps"] as const) {
  const serial = await benchSerial({ model, measureMs: quick ? 3000 : 8000 });
  raw[`serial_${model}`] = serial;
  add({
    name: `serial ${model === "csv" ? "CSV" : "NMEA"} lines parsed / wire limit`,
    value: serial.ratio,
    unit: "ratio",
    goal: ">= 0.9",
    note: `${serial.parsedLinesPerSec} of ${serial.wireLimitLinesPerSec} lines/s (${serial.bytesPerLine} B/line); simulator at rate max sends ${serial.simulatorLinesPerSec}`,
  });
}

log("OPC-UA (signals simulator in a child: notifications, connection RSS, server restarts)…");
const opcua = await benchOpcua(quick ? { warmupMs: 2000, measureMs: 5000, restarts: 2 } : {});
raw.opcua = opcua;
add({ name: "OPC-UA notifications/s (to history and bus)", value: opcua.notificationsPerSec, unit: "notif/s", goal: ">= 10000", note: `offered ${opcua.offeredPerSec}, simulator changed ${opcua.changedPerSec}; history ${opcua.historyWrittenPerSec}/s, MQTT ${opcua.mqttPointsPerSec} points/s` });
add({ name: "OPC-UA gateway CPU per notification", value: opcua.cpuUsPerNotification, unit: "µs/notif", note: `${opcua.cpuCores} core` });
add({ name: "OPC-UA connection RSS (one device − none)", value: opcua.connectionRssMB, unit: "MB", note: `${opcua.rssNoDevicesMB} → ${opcua.rssOneDeviceMB} MB; node-opcua import alone ${opcua.nodeOpcuaLoadRssMB} MB` });
add({ name: "OPC-UA server restart → data flowing (median)", value: opcua.restartToDataMedianMs, unit: "ms", goal: "< 5000", note: `runs ${opcua.restartToDataMs.join(", ")} ms; server down ${opcua.serverDownMs.join(", ")} ms` });

log("agents (scale, restart after crash and hang, noisy neighbours; child processes)…");
const agents = await benchAgents({ quick });
raw.agents = agents;
for (const r of agentResults(agents)) add(r);

log("tasks (auction rounds, tasks per second, failover after a winner's death, allocation vs optimum)…");
const tasks = await benchTasks({ quick, log });
raw.tasks = tasks;
for (const r of taskResults(tasks)) add(r);

// table
const rows = results.map((r) => [r.name, String(r.value), r.unit, r.goal ?? "", r.pass === undefined ? "" : r.pass ? "pass" : "FAIL", r.note ?? ""]);
const header = ["name", "value", "unit", "goal", "result", "note"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => (i === 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd();
console.log(line(header));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
for (const r of rows) console.log(line(r));

const report = {
  name,
  startedAt: started.toISOString(),
  durationS: round((Date.now() - started.getTime()) / 1000, 1),
  quick,
  machine: {
    node: process.version,
    platform: platform(),
    arch: arch(),
    kernel: release(),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    totalMemMB: Math.round(totalmem() / 1048576),
    freeMemMB: Math.round(freemem() / 1048576),
    loadavg: loadavg(),
  },
  results,
  raw,
};
const dir = fileURLToPath(new URL("./results/", import.meta.url));
mkdirSync(dir, { recursive: true });
const stamp = started.toISOString().replace(/[:.]/g, "-");
writeFileSync(`${dir}${name}-${stamp}.json`, `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(`${dir}latest.json`, `${JSON.stringify(report, null, 2)}\n`);
log(`wrote bench/results/${name}-${stamp}.json and bench/results/latest.json (${report.durationS} s)`);
process.exit(0);
