/**
 * Child process of the startup bench, in plain JavaScript so that it runs the way the `llmagentos`
 * command does. Mode `dist`: plain `node`, the compiled build in dist/ and the V8 setting of
 * bin/runtime.mjs (what bin/llmagentos.mjs runs when dist/ is fresh). Mode `tsx`: `node --import
 * tsx` on the TypeScript sources, no V8 setting (how the command ran before there was a build).
 * performance.now() counts from this process's start, so the first figure includes Node's boot (and
 * the tsx loader when used) and every module import. Starts the demo configuration
 * (src/cli/demo-config.ts: greenhouse simulator with two zones, three agents, broker, SQLite) in this
 * process, waits for the first reading in the live values, then idles and reports RSS. Prints one
 * JSON line. Usage: cold-start-child.mjs <dist|tsx> <dataDir> [idleMs]
 */
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL, URL } from "node:url";

const mode = process.argv[2];
const { ROOT, tuneV8 } = await import("../bin/runtime.mjs");
if (mode === "dist") tuneV8();
const tImportStart = performance.now();
const root = pathToFileURL(`${resolve(ROOT, mode === "dist" ? "dist" : ".")}/`);
const load = (path) => import(new URL(path, root).href);
const { demoConfig } = await load("src/cli/demo-config.js");
const { loadConfigValue } = await load("src/config/load.js");
const { buildGateway } = await load("src/gateway.js");
const { startModbusSimulator } = await load("simulators/modbus/simulator.js");
const tImported = performance.now();

const dataDir = process.argv[3];
const idleMs = Number(process.argv[4] ?? 5000);
const sim = await startModbusSimulator({ transport: "tcp", port: 0, model: "greenhouse", unitIds: [1, 2] });
const gateway = await buildGateway(loadConfigValue(demoConfig({ simPort: sim.port, mqttPort: 0, dataDir }), dataDir, "<demo config>"));
const tStarted = performance.now();
while (gateway.live.size === 0) await sleep(1);
const tFirstReading = performance.now();
await sleep(idleMs);
const mem = process.memoryUsage();
process.stdout.write(
  `${JSON.stringify({ tImportStart, tImported, tStarted, tFirstReading, rss: mem.rss, heapUsed: mem.heapUsed, heapTotal: mem.heapTotal, external: mem.external, readings: gateway.devices.stats().readingsEmitted })}\n`,
);
await gateway.close();
await sim.close();
process.exit(0);
