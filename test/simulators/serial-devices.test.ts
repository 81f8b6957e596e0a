/**
 * Each serial simulator on a real socat pty pair, read with serialport from the driver's end:
 * NMEA sentences verify and carry the model's values, CSV/JSON lines parse, binary frames decode,
 * and the command sensor answers its protocol (after its delay, behind its RS-485 address).
 */
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { verifyNmeaSentence } from "../../src/devices/serial/nmea-checksum.js";
import { SensorFrameParser } from "../../simulators/serial/binary-frame.js";
import type { BinarySensorDevice } from "../../simulators/serial/binary-sensor.js";
import type { CommandSensorDevice } from "../../simulators/serial/command-sensor.js";
import type { LineSensorDevice } from "../../simulators/serial/line-sensor.js";
import { createPtyPair, type PtyPair } from "../../simulators/serial/pty-pair.js";
import { startSerialSimulator, type SerialSimulator, type SerialSimulatorOptions } from "../../simulators/serial/simulator.js";
import { waitFor } from "./helpers.js";
import { openReader, type SerialReader } from "./serial-helpers.js";

let sim: SerialSimulator | undefined;
let reader: SerialReader | undefined;
let pair: PtyPair | undefined;
let clock: ManualClock;

afterEach(async () => {
  await reader?.close();
  await sim?.close();
  await pair?.close();
  reader = sim = pair = undefined;
});

/**
 * A simulator with a ManualClock and no pacing on one end of a pty pair, and a reader on the
 * other end opened first, so it sees the simulator's first period too.
 */
async function start(options: Omit<SerialSimulatorOptions, "pty" | "clock" | "path">): Promise<void> {
  clock = new ManualClock(Date.UTC(2026, 5, 21, 12, 0, 0));
  pair = await createPtyPair();
  reader = await openReader(pair.b);
  sim = await startSerialSimulator({ pace: false, ...options, path: pair.a, clock });
}

/** Lines received after advancing `periods` periods, once `count` complete lines are in. */
async function linesAfter(periods: number, count: number, periodMs = 1000): Promise<string[]> {
  for (let i = 0; i < periods; i++) clock.advance(periodMs);
  await waitFor(() => reader!.lines().length >= count, `${count} lines`);
  return reader!.lines();
}

/** ddmm.mmmm / dddmm.mmmm with hemisphere -> signed degrees. */
function degrees(value: string, hemisphere: string): number {
  const dot = value.indexOf(".");
  const deg = Number(value.slice(0, dot - 2)) + Number(value.slice(dot - 2)) / 60;
  return hemisphere === "S" || hemisphere === "W" ? -deg : deg;
}

describe("GPS", () => {
  it("sends GGA, GSA, RMC and VTG each period, checksums valid, UTC from the clock, moving along its track", async () => {
    await start({ model: "gps", seed: 3 });
    const lines = (await linesAfter(3, 16)).slice(-12);
    for (const line of lines) expect(verifyNmeaSentence(line), line).toMatchObject({ ok: true });
    expect(lines.map((l) => l.slice(1, 6))).toEqual(Array.from({ length: 3 }, () => ["GPGGA", "GPGSA", "GPRMC", "GPVTG"]).flat());
    const ggas = lines.filter((l) => l.startsWith("$GPGGA")).map((l) => l.split(","));
    expect(ggas.map((f) => f[1])).toEqual(["120001.00", "120002.00", "120003.00"]);
    for (const f of ggas) {
      expect(f[6]).toBe("1");
      expect(Number(f[7])).toBeGreaterThanOrEqual(4);
      expect(f[10]).toBe("M");
    }
    const lons = ggas.map((f) => degrees(f[4] as string, f[5] as string));
    expect(lons[1]).toBeGreaterThan(lons[0] as number); // course ~084 degrees: heading east
    expect(lons[2]).toBeGreaterThan(lons[1] as number);
    const rmc = (lines.find((l) => l.startsWith("$GPRMC")) as string).split(",");
    expect([rmc[2], rmc[9]]).toEqual(["A", "210626"]);
    expect(Number(rmc[7])).toBeGreaterThan(5); // ~5 m/s = ~9.7 knots
  });
});

describe("weather station", () => {
  it("sends MWV, MDA and XDR that agree with each other and the model", async () => {
    await start({ model: "weather" });
    const lines = (await linesAfter(1, 6)).slice(-3);
    for (const line of lines) expect(verifyNmeaSentence(line), line).toMatchObject({ ok: true });
    const [mwv, mda, xdr] = lines.map((l) => l.replace(/\*..$/, "").split(",")) as [string[], string[], string[]];
    expect([mwv[0], mwv[2], mwv[4], mwv[5]]).toEqual(["$WIMWV", "T", "M", "A"]);
    expect(mda[0]).toBe("$WIMDA");
    expect(xdr[0]).toBe("$WIXDR");
    const r = (sim!.device.snapshot() as { temperatureC: number; humidityRh: number; pressureHpa: number; windSpeedMps: number });
    expect(Number(mda[5])).toBeCloseTo(r.temperatureC, 1);
    expect(Number(xdr[2])).toBe(Number(mda[5]));
    expect(Number(mda[9])).toBeCloseTo(r.humidityRh, 1);
    expect(Number(mda[3])).toBeCloseTo(r.pressureHpa / 1000, 4);
    expect(Number(xdr[10])).toBe(Number(mda[3]));
    expect(Number(mda[19])).toBe(Number(mwv[3])); // wind m/s
    expect(Number(mda[17])).toBeCloseTo(Number(mwv[3]) * 1.9438, 0); // knots
    expect(Number(mda[11])).toBeLessThan(Number(mda[5])); // dew point below air temperature
  });
});

describe("line sensor", () => {
  it("csv: one line per period, temperature, humidity, pressure", async () => {
    await start({ model: "csv" });
    (sim!.device as LineSensorDevice).model.override({ temperatureC: 21.53, humidityRh: 45.2, pressureHpa: 1013.24 });
    const lines = await linesAfter(2, 3);
    expect(lines.slice(-2)).toEqual(["21.5,45.2,1013.2", "21.5,45.2,1013.2"]);
    expect(lines[0]).toMatch(/^-?\d+\.\d,\d+\.\d,\d+\.\d$/);
  });

  it("json: one object per line", async () => {
    await start({ model: "json", periodMs: 200 });
    (sim!.device as LineSensorDevice).model.override({ temperatureC: -3.04, humidityRh: 88, pressureHpa: 998.76 });
    const lines = await linesAfter(1, 2, 200);
    expect(JSON.parse(lines[1] as string)).toEqual({ t: -3, h: 88, p: 998.8 });
    expect(Object.keys(JSON.parse(lines[0] as string))).toEqual(["t", "h", "p"]);
  });
});

describe("binary-frame sensor", () => {
  it("sends frames that decode, with a counter and CRC-16/MODBUS", async () => {
    await start({ model: "binary" });
    (sim!.device as BinarySensorDevice).model.override({ temperatureC: -12.34, humidityRh: 45.67, pressureHpa: 1013.2 });
    clock.advance(3000);
    await waitFor(() => reader!.bytes().length >= 4 * 15, "four frames");
    const parser = new SensorFrameParser();
    const frames = parser.push(reader!.bytes());
    expect([frames.length, parser.badFrames, parser.skippedBytes]).toEqual([4, 0, 0]);
    expect(frames.map((f) => f.counter)).toEqual([0, 1, 2, 3]);
    expect(frames[3]).toEqual({ temperatureC: -12.34, humidityRh: 45.67, pressureHpa: 1013.2, counter: 3 });
    expect([...reader!.bytes().subarray(0, 3)]).toEqual([0xaa, 0x55, 10]);
  });
});

describe("command sensor", () => {
  it("answers ID?, READ?, SET RATE, RATE? and unknown commands after its response delay", async () => {
    await start({ model: "command", responseDelayMs: 50, seed: 42 });
    const device = sim!.device as CommandSensorDevice;
    device.model.override({ temperatureC: 21.534, humidityRh: 45.2, pressureHpa: 1013.2 });
    reader!.write("ID?\r\n");
    await waitFor(() => sim!.stats().requests === 1, "request received");
    clock.advance(49);
    expect(sim!.stats().messages).toBe(0); // held for the response delay
    clock.advance(1);
    await waitFor(() => reader!.lines().length === 1, "ID reply");
    expect(reader!.lines()).toEqual(["LLMAGENTOS,SIM-THP,SN000042,1.0"]);

    reader!.write("read?\rSET RATE 5\nRATE?\r\nSET RATE 0\r\nSET RATE x\r\nFOO\r\n");
    await waitFor(() => sim!.stats().requests === 7, "six more requests");
    clock.advance(1000); // a new sample is taken on the next step
    reader!.write("READ?\r\n");
    await waitFor(() => sim!.stats().requests === 8, "READ?");
    clock.advance(50);
    await waitFor(() => reader!.lines().length === 8, "eight replies");
    expect(reader!.lines().slice(1)).toEqual([
      expect.stringMatching(/^T=-?\d+\.\d\d;H=\d+\.\d;P=\d+\.\d$/),
      "OK",
      "RATE=5",
      "ERR bad value",
      "ERR bad value",
      "ERR unknown command",
      "T=21.53;H=45.2;P=1013.2",
    ]);
    expect(device.rate).toBe(5);
  });

  it("with an RS-485 address answers only requests for it, with the prefix", async () => {
    await start({ model: "command", responseDelayMs: 0, command: { address: 7 } });
    reader!.write("READ?\r\n08:ID?\r\n07:ID?\r\n07:NOPE\r\n");
    await waitFor(() => reader!.lines().length === 2, "two replies");
    expect(reader!.lines()).toEqual(["07:LLMAGENTOS,SIM-THP,SN000001,1.0", "07:ERR unknown command"]);
    expect(sim!.stats()).toMatchObject({ requests: 4, messages: 2 });
  });
});

describe("start errors", () => {
  it("refuses a missing path, both path and pty, an unknown model and a port that cannot open", async () => {
    await expect(startSerialSimulator({ model: "gps" })).rejects.toMatchObject({ code: "LOS_E_SIM_START" });
    await expect(startSerialSimulator({ model: "gps", pty: true, path: "/dev/null" })).rejects.toMatchObject({ code: "LOS_E_SIM_START" });
    await expect(startSerialSimulator({ model: "radar" as "gps", pty: true })).rejects.toMatchObject({ code: "LOS_E_SIM_START" });
    await expect(startSerialSimulator({ model: "csv", path: "/nonexistent/ttyUSB9" })).rejects.toMatchObject({
      code: "LOS_E_SIM_START",
      message: expect.stringContaining("/nonexistent/ttyUSB9"),
    });
    await expect(startSerialSimulator({ model: "command", pty: true, command: { address: 100 } })).rejects.toMatchObject({ code: "LOS_E_SIM_START" });
  });
});
