/**
 * Child process of the startup bench. performance.now() counts from this process's start, so the
 * first figure includes Node's boot, the tsx loader and every module import. Starts the demo
 * configuration (src/cli/demo-config.ts: greenhouse simulator with two zones, three agents, broker,
 * SQLite) in this process, waits for the first reading in the live values, then idles and reports
 * RSS. Prints one JSON line. Usage: cold-start-child.ts <dataDir> [idleMs]
 */
const tImportStart = performance.now();
export {};
const { demoConfig } = await import("../src/cli/demo-config.js");
const { loadConfigValue } = await import("../src/config/load.js");
const { buildGateway } = await import("../src/gateway.js");
const { startModbusSimulator } = await import("../simulators/modbus/simulator.js");
const tImported = performance.now();

const dataDir = process.argv[2]!;
const idleMs = Number(process.argv[3] ?? 5000);
const sim = await startModbusSimulator({ transport: "tcp", port: 0, model: "greenhouse", unitIds: [1, 2] });
const gateway = await buildGateway(loadConfigValue(demoConfig({ simPort: sim.port!, mqttPort: 0, dataDir }), dataDir, "<demo config>"));
const tStarted = performance.now();
while (gateway.live.size === 0) await new Promise((r) => setTimeout(r, 1));
const tFirstReading = performance.now();
await new Promise((r) => setTimeout(r, idleMs));
const mem = process.memoryUsage();
process.stdout.write(
  `${JSON.stringify({ tImportStart, tImported, tStarted, tFirstReading, rss: mem.rss, heapUsed: mem.heapUsed, readings: gateway.devices.stats().readingsEmitted })}\n`,
);
await gateway.close();
await sim.close();
process.exit(0);
