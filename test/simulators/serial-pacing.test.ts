/**
 * Wire pacing: with a ManualClock, a pacer releases exactly baud/10 bytes per advanced second,
 * in order, and a simulator's bytes reach a reader on the pty at that pace.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { startSerialSimulator, type SerialSimulator } from "../../simulators/serial/simulator.js";
import { WirePacer } from "../../simulators/serial/wire-pacer.js";
import { waitFor } from "./helpers.js";
import { openReader, type SerialReader } from "./serial-helpers.js";

describe("WirePacer", () => {
  for (const baudRate of [1200, 9600, 115200]) {
    it(`releases baud/10 bytes per advanced second at ${baudRate} baud`, () => {
      const clock = new ManualClock();
      const out: Buffer[] = [];
      const pacer = new WirePacer({ baudRate, clock, sink: (c) => out.push(Buffer.from(c)) });
      const data = Buffer.from(Array.from({ length: baudRate }, (_, i) => i & 0xff));
      void pacer.write(Buffer.from(data));
      expect(pacer.released).toBe(0); // the first byte needs a byte-time on the wire
      for (let s = 1; s <= 3; s++) {
        clock.advance(1000);
        expect(pacer.released).toBe((s * baudRate) / 10);
      }
      clock.advance(250);
      expect(pacer.released).toBe((3.25 * baudRate) / 10);
      expect(Buffer.concat(out)).toEqual(Buffer.from(data).subarray(0, pacer.released));
    });
  }

  it("resolves a write when its last byte is out, and starts a new burst after idle", async () => {
    const clock = new ManualClock();
    let released = 0;
    const pacer = new WirePacer({ baudRate: 9600, clock, sink: (c) => (released += c.length) });
    let done = false;
    const written = pacer.write(Buffer.alloc(96)).then(() => (done = true));
    clock.advance(99);
    await Promise.resolve();
    expect([released, done]).toEqual([95, false]);
    clock.advance(1);
    await written;
    expect(released).toBe(96);
    clock.advance(5000); // idle wire: no credit is saved up
    void pacer.write(Buffer.alloc(960));
    expect(pacer.released).toBe(96);
    clock.advance(500);
    expect(pacer.released).toBe(96 + 480);
    pacer.clear();
    expect(pacer.queued).toBe(0);
    clock.advance(1000);
    expect(pacer.released).toBe(96 + 480);
  });
});

describe("a paced simulator on a pty", () => {
  let sim: SerialSimulator | undefined;
  let reader: SerialReader | undefined;
  afterEach(async () => {
    await reader?.close();
    await sim?.close();
    reader = sim = undefined;
  });

  it("a 1200-baud GPS delivers 120 bytes per advanced second to the reader", async () => {
    const clock = new ManualClock();
    sim = await startSerialSimulator({ model: "gps", pty: true, baudRate: 1200, clock });
    reader = await openReader(sim.path, 1200);
    expect(sim.stats().bytesWritten).toBe(0);
    const queued = sim.stats().bytesQueued; // one period of GGA+GSA+RMC+VTG, more than a second of wire
    expect(queued).toBeGreaterThan(120);
    for (let s = 1; s <= 2; s++) {
      clock.advance(1000);
      expect(sim.stats().bytesWritten).toBe(120 * s);
      await waitFor(() => reader!.bytes().length === 120 * s, `${120 * s} bytes at the reader`);
    }
    expect(reader.bytes().toString("latin1").startsWith("$GPGGA,")).toBe(true);
    // Periods that come while the wire is still busy are skipped, not queued without bound.
    expect(sim.stats().overruns).toBeGreaterThan(0);
  });

  it('rate "max" sends the next period as soon as the wire is free', async () => {
    const clock = new ManualClock();
    sim = await startSerialSimulator({ model: "csv", pty: true, baudRate: 9600, clock, rate: "max" });
    reader = await openReader(sim.path);
    // 960 bytes per second; a CSV line is 17 or 18 bytes: about 55 lines per second, no period.
    clock.advance(1000);
    await waitFor(() => reader!.bytes().length === 960, "one second of wire at the reader");
    expect(sim.stats().bytesWritten).toBe(960);
    const lines = reader.lines();
    expect(lines.length).toBeGreaterThanOrEqual(50);
    for (const line of lines) expect(line).toMatch(/^-?\d+\.\d,\d+\.\d,\d+\.\d$/);
  });
});
