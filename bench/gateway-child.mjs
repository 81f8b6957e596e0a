/**
 * Child process of the throughput bench: the gateway under test, run the way the `llmagentos`
 * command runs it — plain `node` on the compiled build in dist/ with the V8 setting of
 * bin/runtime.mjs (tuneV8) — so its CPU and RSS are the gateway's alone: no tsx loader, no bench
 * modules, no simulators, no MQTT subscriber in this process. Driven over the IPC channel
 * (process.send): the parent sends {cmd: "start", config, dir, mergeReads} (config: the raw config
 * value, loaded in a worker as `llmagentos start` loads its file: loadConfigValueInWorker with `dir`
 * as base), then {cmd: "mark"} any number of times, then {cmd: "close"}. Every answer is one message; a mark commits the history buffer first (so marks sit
 * on flush boundaries) and reports cpuUsage, memoryUsage, the RSS / heap-used / new-space maxima sampled
 * every 200 ms since the previous mark, the heap spaces' sizes, VmHWM and RssAnon / RssFile, devices.stats(), the summed poller overruns and
 * telemetry.stats(). Usage: node bench/gateway-child.mjs (with an IPC channel).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { clearInterval, setInterval } from "node:timers";
import { pathToFileURL, URL } from "node:url";
import v8 from "node:v8";

const { ROOT, tuneV8 } = await import("../bin/runtime.mjs");
const v8Tuned = tuneV8();
const root = pathToFileURL(`${resolve(ROOT, "dist")}/`);
const { loadConfigValueInWorker } = await import(new URL("src/config/load-in-worker.js", root).href);
const { buildGateway } = await import(new URL("src/gateway.js", root).href);

if (!process.send) throw new Error("bench/gateway-child.mjs needs an IPC channel");
const reply = (m) => process.send(m);

/** from /proc/self/status: peak RSS so far (kernel's high-water mark) and the RSS split, bytes */
function procStatus() {
  try {
    const text = readFileSync("/proc/self/status", "utf8");
    const kb = (key) => {
      const m = new RegExp(`${key}:\\s+(\\d+) kB`).exec(text);
      return m ? Number(m[1]) * 1024 : undefined;
    };
    return { vmHwm: kb("VmHWM"), rssAnon: kb("RssAnon"), rssFile: kb("RssFile") };
  } catch {
    return {};
  }
}

/**
 * LLMAGENTOS_BENCH_DIAG=<dir>: write the child's /proc/self/smaps there before and right after the
 * gateway is built, and at close, before the gateway is closed (still loaded), smaps and a heap
 * snapshot: what the RSS under load is made of.
 */
function diagnose(when = "load") {
  const dir = process.env.LLMAGENTOS_BENCH_DIAG;
  if (!dir) return;
  writeFileSync(join(dir, `smaps-${when}-${process.pid}.txt`), readFileSync("/proc/self/smaps"));
  if (when === "load") v8.writeHeapSnapshot(join(dir, `gateway-${process.pid}.heapsnapshot`));
}

let gateway;
let rssMax = 0;
let heapMax = 0;
let newSpaceMax = 0;
/** V8's heap spaces: committed size of each (new_space: one semi-space's capacity) */
const heapSpaces = () => Object.fromEntries(v8.getHeapSpaceStatistics().filter((s) => s.space_size > 0).map((s) => [s.space_name, s.space_size]));
const newSpaceSize = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space")?.space_size ?? 0;
const sample = () => {
  const m = process.memoryUsage();
  if (m.rss > rssMax) rssMax = m.rss;
  if (m.heapUsed > heapMax) heapMax = m.heapUsed;
  const n = newSpaceSize();
  if (n > newSpaceMax) newSpaceMax = n;
};
let sampler;

async function handle(msg) {
  if (msg.cmd === "start") {
    const config = await loadConfigValueInWorker(msg.config, msg.dir, "<bench throughput config>");
    const before = process.memoryUsage();
    diagnose("before-build");
    gateway = await buildGateway(config, { mergeReads: msg.mergeReads });
    diagnose("built");
    sampler = setInterval(sample, 200);
    reply({
      started: true,
      v8Tuned,
      execArgv: process.execArgv,
      pointsPerDevice: config.devices[0].profile.points.length,
      mqttPort: gateway.broker.listeners()[0].port,
      rssBefore: before.rss,
    });
  } else if (msg.cmd === "mark") {
    gateway.store.telemetry.flush();
    sample();
    const cpu = process.cpuUsage();
    const t = performance.now();
    // health().poller (before the device refactor) or health().stats (after): the same poller stats
    const overruns = Object.values(gateway.devices.health()).reduce((n, h) => n + ((h.poller ?? h.stats)?.overruns ?? 0), 0);
    reply({
      t,
      cpu,
      mem: process.memoryUsage(),
      rssMax,
      heapMax,
      newSpaceMax,
      heapSpaces: heapSpaces(),
      ...procStatus(),
      dev: gateway.devices.stats(),
      tel: gateway.store.telemetry.stats(),
      overruns,
    });
    rssMax = 0;
    heapMax = 0;
    newSpaceMax = 0;
  } else if (msg.cmd === "close") {
    clearInterval(sampler);
    diagnose();
    await gateway?.close();
    reply({ closed: true });
    process.disconnect();
    process.exit(0);
  }
}

process.on("message", (msg) => {
  handle(msg).catch((err) => {
    reply({ error: String(err?.stack ?? err) });
    process.exit(1);
  });
});
// the parent went away: do not linger
process.on("disconnect", () => process.exit(0));
reply({ ready: true });
