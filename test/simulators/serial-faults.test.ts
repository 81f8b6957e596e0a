/**
 * Serial faults on the wire: bad checksums, truncated messages and noise reach a reader on the
 * pty and are counted; unplug closes the reader's port and removes the path, replug brings the
 * path back so a new open succeeds and data flows again.
 */
import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { verifyNmeaSentence } from "../../src/devices/serial/nmea-checksum.js";
import { SensorFrameParser } from "../../simulators/serial/binary-frame.js";
import { createPtyPair, type PtyPair } from "../../simulators/serial/pty-pair.js";
import { SerialFaultInjector } from "../../simulators/serial/serial-faults.js";
import type { LineSensorDevice } from "../../simulators/serial/line-sensor.js";
import { lineMessage } from "../../simulators/serial/serial-message.js";
import { startSerialSimulator, type SerialSimulator, type SerialSimulatorOptions } from "../../simulators/serial/simulator.js";
import { waitFor } from "./helpers.js";
import { openReader, type SerialReader } from "./serial-helpers.js";

let sim: SerialSimulator | undefined;
let readers: SerialReader[] = [];
let pair: PtyPair | undefined;
let clock: ManualClock;

afterEach(async () => {
  for (const r of readers) await r.close();
  await sim?.close();
  await pair?.close();
  readers = [];
  sim = pair = undefined;
});

async function reader(path: string): Promise<SerialReader> {
  const r = await openReader(path);
  readers.push(r);
  return r;
}

/** Simulator (ManualClock, unpaced) on a pty pair whose reader end is opened first. */
async function start(options: Omit<SerialSimulatorOptions, "clock" | "path">): Promise<SerialReader> {
  clock = new ManualClock();
  pair = await createPtyPair();
  const r = await reader(pair.b);
  sim = await startSerialSimulator({ pace: false, ...options, path: pair.a, clock });
  return r;
}

describe("faults on the wire", () => {
  it("badChecksum: the next NMEA sentences fail their checksum, the rest verify, counted", async () => {
    const r = await start({ model: "gps" });
    sim!.faults.inject({ mode: "badChecksum", count: 2 });
    clock.advance(1000);
    await waitFor(() => r.lines().length === 8, "two periods");
    const ok = r.lines().map((l) => verifyNmeaSentence(l).ok);
    expect(ok).toEqual([true, true, true, true, false, false, true, true]);
    expect(sim!.stats().faults).toMatchObject({ badChecksum: 2, truncate: 0, noise: 0 });
    expect(sim!.faults.rules()).toEqual([]); // expired after its count
  });

  it("badChecksum on binary frames: the reader rejects exactly that frame", async () => {
    const r = await start({ model: "binary" });
    sim!.faults.inject({ mode: "badChecksum", count: 1 });
    clock.advance(2000);
    await waitFor(() => r.bytes().length === 3 * 15, "three frames");
    const parser = new SensorFrameParser();
    expect(parser.push(r.bytes()).map((f) => f.counter)).toEqual([0, 2]);
    expect(parser.badFrames).toBe(1);
  });

  it("truncate: a line is cut short and runs into the next; formats without a checksum ignore badChecksum", async () => {
    const r = await start({ model: "csv" });
    sim!.faults.inject({ mode: "truncate", count: 1 });
    sim!.faults.inject({ mode: "badChecksum" });
    clock.advance(2000);
    await waitFor(() => r.lines().length === 2, "two complete lines");
    // Period 0 went out whole; period 1 was cut and runs into period 2.
    const [whole, merged] = r.lines() as [string, string];
    const csv = /-?\d+\.\d,\d+\.\d,\d+\.\d$/;
    expect(whole).toMatch(csv);
    expect(merged).toMatch(csv);
    expect(merged.length).toBeGreaterThan(whole.length);
    expect(sim!.stats().faults).toMatchObject({ truncate: 1, badChecksum: 0 });
  });

  it("noise: random bytes between or inside lines, as many as asked", async () => {
    const r = await start({ model: "json" });
    (sim!.device as LineSensorDevice).model.override({ temperatureC: 20, humidityRh: 50, pressureHpa: 1000 });
    const line = '{"t":20,"h":50,"p":1000}\r\n';
    sim!.faults.inject({ mode: "noise", noiseBytes: 5, count: 1 });
    clock.advance(2000);
    // Period 0 went out before the fault; period 1 carries 5 noise bytes; period 2 is clean again.
    await waitFor(() => sim!.stats().messages === 3 && r.bytes().length === sim!.stats().bytesWritten, "three periods at the reader");
    const first = r.bytes().indexOf("\r\n") + 2;
    expect(r.bytes().length).toBe(first + 2 * line.length + 5);
    expect(r.bytes().toString("latin1").endsWith(line)).toBe(true);
    expect(sim!.stats().faults).toMatchObject({ noise: 1, truncate: 0 });
  });
});

describe("unplug and replug", () => {
  it("with pty: true the reader's port closes and the path vanishes; after replug a new open at the same path reads data", async () => {
    clock = new ManualClock();
    sim = await startSerialSimulator({ model: "csv", pty: true, pace: false, clock });
    const path = sim.path;
    const first = await reader(path);
    clock.advance(1000);
    await waitFor(() => first.lines().length >= 1, "a line before unplug");

    await sim.unplug();
    expect(sim.plugged).toBe(false);
    await waitFor(() => first.closedUnder(), "reader port closed by the unplug");
    expect(existsSync(path)).toBe(false);
    await expect(openReader(path)).rejects.toThrow();
    clock.advance(3000); // the device stays silent while unplugged
    expect(sim.stats()).toMatchObject({ plugged: false, messages: 2, faults: { unplug: 1, replug: 0 } });

    await sim.replug();
    expect(sim.path).toBe(path);
    expect(existsSync(path)).toBe(true);
    const second = await reader(path);
    clock.advance(1000);
    await waitFor(() => second.lines().length >= 1, "a line after replug");
    expect(second.lines()[0]).toMatch(/^-?\d+\.\d,\d+\.\d,\d+\.\d$/);
    expect(sim.stats()).toMatchObject({ plugged: true, faults: { unplug: 1, replug: 1 } });
  });

  it("on a given path, unplug closes the simulator's port and replug reopens it", async () => {
    const r = await start({ model: "command", responseDelayMs: 0 });
    await sim!.unplug();
    r.write("ID?\r\n");
    await sim!.replug();
    r.write("RATE?\r\n");
    await waitFor(() => r.lines().includes("RATE=1"), "reply after replug");
    // A pty may keep the request sent while unplugged and hand it over at reopen; a real cable would lose it.
    expect(r.lines().at(-1)).toBe("RATE=1");
    expect(sim!.stats().faults).toMatchObject({ unplug: 1, replug: 1 });
  });
});

describe("SerialFaultInjector", () => {
  it("probability 0 never fires, probability 0.5 fires about half the time (seeded), count expires", () => {
    const faults = new SerialFaultInjector({ seed: 9 });
    const msg = lineMessage("12.3,45.6,1000.0");
    faults.inject({ mode: "truncate", probability: 0 });
    for (let i = 0; i < 100; i++) expect(faults.apply(msg)).toEqual(msg.bytes);
    faults.set({ mode: "truncate", probability: 0.5 });
    let cut = 0;
    for (let i = 0; i < 1000; i++) if (faults.apply(msg).length < msg.bytes.length) cut++;
    expect(cut).toBeGreaterThan(400);
    expect(cut).toBeLessThan(600);
    expect(faults.counts().truncate).toBe(cut);
    faults.clear();
    const noise = faults.inject({ mode: "noise", count: 3, noiseBytes: 2 });
    for (let i = 0; i < 5; i++) faults.apply(msg);
    expect([noise.applied, noise.remaining, faults.rules().length]).toEqual([3, 0, 0]);
  });

  it("refuses invalid specs", () => {
    const faults = new SerialFaultInjector();
    expect(() => faults.inject({ mode: "melt" as "noise" })).toThrow(/unknown serial fault mode/);
    expect(() => faults.inject({ mode: "noise", probability: 2 })).toThrow(/probability/);
    expect(() => faults.inject({ mode: "noise", count: 0 })).toThrow(/count/);
    expect(() => faults.inject({ mode: "noise", noiseBytes: 0 })).toThrow(/noiseBytes/);
  });
});
