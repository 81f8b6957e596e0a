/**
 * Serial lines per second parsed by the gateway at 115200 baud, against the wire limit. A feeder
 * keeps a socat pty pair busy at exactly baud/10 bytes per second with the simulators' CSV lines or
 * GPS sentences (serial-feeder.ts); a gateway built with buildGateway reads it with the catalogue
 * profile. The wire limit in lines/s is 11520 / bytes per line; the ratio parsed / wire limit should
 * be >= 0.9. The serial simulator itself at `rate: "max"` is measured too (what it puts on the wire
 * per second), for comparison. CSV lines are short (the most lines per second), NMEA sentences long
 * and checksummed.
 */
import { loadConfigValue } from "../src/config/load.js";
import { buildGateway } from "../src/gateway.js";
import type { SerialDeviceStats } from "../src/devices/serial/serial-stats.js";
import { startSerialSimulator } from "../simulators/serial/simulator.js";
import { startWireFeeder } from "./serial-feeder.js";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { round, sleep } from "./result.js";

export interface SerialBenchResult {
  model: "csv" | "gps";
  baudRate: number;
  measureMs: number;
  bytesPerLine: number;
  /** lines the wire can carry per second at baud/10 bytes per second */
  wireLimitLinesPerSec: number;
  /** lines the feeder put on the wire per second */
  sentLinesPerSec: number;
  /** lines per second the serial simulator sends at rate "max" (its own pacing), for comparison */
  simulatorLinesPerSec: number;
  parsedLinesPerSec: number;
  /** parsed / wire limit */
  ratio: number;
  checksumFailures: number;
  badFrames: number;
}

const PROFILE = { csv: "llmagentos/csv-thp-sim", gps: "generic/nmea-gps" } as const;

export async function benchSerial(o: { model: "csv" | "gps"; measureMs: number; baudRate?: number }): Promise<SerialBenchResult> {
  const baudRate = o.baudRate ?? 115_200;
  const simulatorLinesPerSec = await simulatorRate(o.model, baudRate, Math.min(2000, o.measureMs));
  const sim = await startWireFeeder(o.model, baudRate);
  const dataDir = await mkdtemp(join(tmpdir(), "los-bench-serial-"));
  try {
    const config = loadConfigValue(
      {
        site: "bench",
        gateway: "serial",
        dataDir,
        bus: { listeners: [{ kind: "tcp", host: "127.0.0.1", port: 0, allowAnonymous: true }] },
        devices: [{ id: "dev", profile: PROFILE[o.model], connection: { type: "serial", path: sim.path, baudRate } }],
        agents: [],
      },
      dataDir,
    );
    const gateway = await buildGateway(config, { scrypt: { N: 1024, r: 8, p: 1, keylen: 32 } });
    try {
      const stats = () => gateway.devices.health().dev!.stats as SerialDeviceStats;
      // warm up: the port is open and lines flow
      const deadline = Date.now() + 10_000;
      while (stats().linesParsed < 20) {
        if (Date.now() > deadline) throw new Error("no serial lines parsed within 10 s");
        await sleep(20);
      }
      const s0 = stats();
      const b0 = sim.bytesWritten();
      const l0 = sim.linesWritten();
      const t0 = performance.now();
      await sleep(o.measureMs);
      const s1 = stats();
      const sentLines = sim.linesWritten() - l0;
      const seconds = (performance.now() - t0) / 1000;
      const bytesPerLine = (sim.bytesWritten() - b0) / Math.max(1, sentLines);
      const wire = baudRate / 10 / bytesPerLine;
      const parsed = (s1.linesParsed - s0.linesParsed) / seconds;
      return {
        model: o.model,
        baudRate,
        measureMs: o.measureMs,
        bytesPerLine: round(bytesPerLine, 1),
        wireLimitLinesPerSec: round(wire, 1),
        sentLinesPerSec: round(sentLines / seconds, 1),
        simulatorLinesPerSec,
        parsedLinesPerSec: round(parsed, 1),
        ratio: round(parsed / wire, 3),
        checksumFailures: s1.checksumFailures - s0.checksumFailures,
        badFrames: s1.badFrames - s0.badFrames,
      };
    } finally {
      await gateway.close();
    }
  } finally {
    await sim.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Lines per second the serial simulator itself puts on a pty at rate "max". */
async function simulatorRate(model: "csv" | "gps", baudRate: number, ms: number): Promise<number> {
  const sim = await startSerialSimulator({ model, pty: true, baudRate, rate: "max" });
  try {
    await sleep(200);
    const m0 = sim.stats().messages;
    const t0 = performance.now();
    await sleep(ms);
    return round((sim.stats().messages - m0) / ((performance.now() - t0) / 1000), 1);
  } finally {
    await sim.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const model of ["csv", "gps"] as const) console.log(JSON.stringify(await benchSerial({ model, measureMs: 5000 })));
}
