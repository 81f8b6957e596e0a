/**
 * Child process of the OPC-UA bench: the gateway under test, built from the compiled build in dist/
 * (this script runs through tsx, the gateway code does not), so its CPU and RSS are the gateway's
 * alone. JSON lines on stdin, one JSON line answer each on stdout (node-opcua's own log lines
 * there are not JSON and are skipped by the parent):
 * - `{"cmd":"loadOpcua"}`: RSS before and after importing node-opcua (in a fresh child);
 * - `{"cmd":"start","config":…,"dir":…}`: build the gateway from the raw config value;
 * - `{"cmd":"mark","gc"?:true}`: commit history (and collect garbage, for RSS figures; needs
 *   --expose-gc), report cpuUsage, RSS, devices.stats(), health, telemetry stats;
 * - `{"cmd":"close"}`.
 * Usage: node --import tsx bench/opcua-gateway-child.ts
 */
import { createInterface } from "node:readline";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { ROOT } from "./child.js";

type Gateway = import("../src/gateway.js").Gateway;
const dist = (p: string) => pathToFileURL(`${ROOT}dist/${p}`).href;
const say = (v: unknown) => process.stdout.write(`${JSON.stringify(v)}\n`);
let gateway: Gateway | undefined;

async function handle(msg: { cmd: string; config?: unknown; dir?: string; gc?: boolean }): Promise<void> {
  if (msg.cmd === "loadOpcua") {
    global.gc?.();
    const before = process.memoryUsage().rss;
    await import("node-opcua");
    global.gc?.();
    say({ rssBefore: before, rssAfter: process.memoryUsage().rss });
  } else if (msg.cmd === "start") {
    const { loadConfigValue } = (await import(dist("src/config/load.js"))) as typeof import("../src/config/load.js");
    const { buildGateway } = (await import(dist("src/gateway.js"))) as typeof import("../src/gateway.js");
    const rssBefore = process.memoryUsage().rss;
    gateway = await buildGateway(loadConfigValue(msg.config, msg.dir!, "<bench opcua config>"));
    say({ started: true, rssBefore, mqttPort: gateway.broker.listeners()[0]!.port });
  } else if (msg.cmd === "mark") {
    gateway?.store.telemetry.flush();
    if (msg.gc) global.gc?.(); // for RSS figures only: a collection inside a CPU window would count
    say({ t: performance.now(), now: Date.now(), cpu: process.cpuUsage(), rss: process.memoryUsage().rss, dev: gateway?.devices.stats(), health: gateway?.devices.health(), tel: gateway?.store.telemetry.stats() });
  } else if (msg.cmd === "close") {
    await gateway?.close();
    say({ closed: true });
    process.exit(0);
  }
}

createInterface({ input: process.stdin }).on("line", (line) => {
  handle(JSON.parse(line) as { cmd: string }).catch((err: unknown) => {
    say({ error: String((err as Error)?.stack ?? err) });
    process.exit(1);
  });
});
process.stdin.on("end", () => process.exit(0));
say({ ready: true });
