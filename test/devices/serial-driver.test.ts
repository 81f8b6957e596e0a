/**
 * The serial driver against the serial simulators over real socat pty pairs: NMEA GPS and weather,
 * binary frames, CSV/JSON/regex lines, command/response polling and writes on a shared RS-485 line.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startSerialSimulator, type SerialSimulator } from "../../simulators/serial/simulator.js";
import type { SerialDeviceStats } from "../../src/devices/serial/serial-stats.js";
import { catalogueProfile, inlineProfile, startRig, waitFor, type SerialRig } from "./serial-helpers.js";

let sims: SerialSimulator[] = [];
let rig: SerialRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
});

async function sim(o: Parameters<typeof startSerialSimulator>[0]): Promise<SerialSimulator> {
  const s = await startSerialSimulator({ pty: true, baudRate: 115200, periodMs: 40, ...o });
  sims.push(s);
  return s;
}

const good = (rig: SerialRig, point: string) => rig.last(point)?.quality === "good";
const num = (rig: SerialRig, point: string) => rig.last(point)?.value as number;

describe("serial driver over a pty", () => {
  it("NMEA GPS: GGA position in signed degrees, RMC speed and status", async () => {
    const gps = await sim({ model: "gps", gps: { latitude: -33.85, longitude: -151.21 } });
    rig = await startRig([{ id: "gps", profile: catalogueProfile("generic/nmea-gps"), connection: { path: gps.path, baudRate: 115200 } }]);
    await waitFor(() => good(rig!, "gps/latitude") && good(rig!, "gps/speed") && good(rig!, "gps/status"), "GPS fix");
    expect(num(rig, "gps/latitude")).toBeCloseTo(-33.85, 2);
    expect(num(rig, "gps/longitude")).toBeCloseTo(-151.21, 2);
    expect(num(rig, "gps/fix_quality")).toBe(1);
    expect(num(rig, "gps/satellites")).toBeGreaterThan(0);
    expect(num(rig, "gps/altitude")).toBeGreaterThan(400);
    expect(rig.last("gps/status")?.value).toBe("A");
    expect(num(rig, "gps/speed")).toBeGreaterThan(0);
    expect(rig.lastStatus("gps")).toMatchObject({ available: true });
    const stats = rig.manager.health().gps!.stats as SerialDeviceStats;
    expect(stats.linesParsed).toBeGreaterThan(0);
    expect(stats.checksumFailures).toBe(0);
  });

  it("NMEA GPS losing its fix: empty position fields are bad with LOS_E_DEVICE_NO_VALUE, the device stays available", async () => {
    const gps = await sim({ model: "gps" });
    rig = await startRig([{ id: "gps", profile: catalogueProfile("generic/nmea-gps"), connection: { path: gps.path } }]);
    await waitFor(() => good(rig!, "gps/latitude"), "fix");
    (gps.device as unknown as { model: { setFix(f: number): void } }).model.setFix(0);
    await waitFor(() => rig!.last("gps/latitude")?.error === "LOS_E_DEVICE_NO_VALUE", "no fix");
    expect(rig.last("gps/latitude")).toMatchObject({ quality: "bad", value: null });
    await waitFor(() => rig!.last("gps/status")?.value === "V", "RMC status V");
    expect(rig.lastStatus("gps")).toMatchObject({ available: true });
  });

  it("NMEA weather station (Airmar 200WX profile): MDA, MWV and XDR fields", async () => {
    const wx = await sim({ model: "weather" });
    rig = await startRig([{ id: "wx", profile: catalogueProfile("airmar/200wx"), connection: { path: wx.path } }]);
    const names = ["pressure", "temperature", "humidity", "dew_point", "wind_direction", "wind_speed", "wind_angle", "wind_speed_mwv", "air_temperature_xdr"];
    await waitFor(() => names.every((n) => good(rig!, `wx/${n}`)), "all weather points");
    expect(num(rig, "wx/pressure")).toBeGreaterThan(900);
    expect(num(rig, "wx/pressure")).toBeLessThan(1100);
    expect(num(rig, "wx/humidity")).toBeGreaterThanOrEqual(0);
    expect(num(rig, "wx/humidity")).toBeLessThanOrEqual(100);
    expect(rig.last("wx/wind_reference")?.value).toBe("T");
    const snap = wx.device.snapshot() as { temperatureC: number };
    expect(Math.abs(num(rig, "wx/temperature") - snap.temperatureC)).toBeLessThan(2);
  });

  it("binary frames: fields with scale, the frame counter advances", async () => {
    const bin = await sim({ model: "binary" });
    rig = await startRig([{ id: "bin", profile: catalogueProfile("llmagentos/binary-thp-sim"), connection: { path: bin.path } }]);
    await waitFor(() => good(rig!, "bin/temperature") && (rig!.readings.get("bin/counter")?.length ?? 0) >= 2, "two frames");
    const counters = rig.readings.get("bin/counter")!.map((r) => r.value as number);
    expect(counters[1]).toBeGreaterThan(counters[0]!);
    expect(num(rig, "bin/pressure")).toBeGreaterThan(900);
    expect((rig.manager.health().bin!.stats as SerialDeviceStats).framesParsed).toBeGreaterThanOrEqual(2);
  });

  it("CSV and JSON lines, and regex lines on the CSV sensor", async () => {
    const csv = await sim({ model: "csv" });
    const json = await sim({ model: "json", seed: 2 });
    const regexProfile = inlineProfile({
      model: "regex-csv",
      framing: { kind: "lines", format: "regex" },
      points: [
        { name: "temperature", regex: "^(-?[0-9.]+),", unit: "degC" },
        { name: "pressure", regex: ",(?<p>[0-9.]+)$", group: "p", unit: "hPa" },
        { name: "humid", regex: "^[^,]+,([0-9.]+),", type: "bool" },
      ],
    });
    const csv2 = await sim({ model: "csv", seed: 3 });
    rig = await startRig([
      { id: "csv", profile: catalogueProfile("llmagentos/csv-thp-sim"), connection: { path: csv.path } },
      { id: "json", profile: catalogueProfile("llmagentos/json-thp-sim"), connection: { path: json.path } },
      { id: "re", profile: regexProfile, connection: { path: csv2.path } },
    ]);
    await waitFor(() => ["csv", "json"].every((d) => ["temperature", "humidity", "pressure"].every((p) => good(rig!, `${d}/${p}`))), "csv and json");
    await waitFor(() => good(rig!, "re/temperature") && good(rig!, "re/pressure"), "regex lines");
    expect(num(rig, "re/pressure")).toBeGreaterThan(900);
    // a humidity like 45.2 is neither a boolean word nor 0/1: coded bad, the other points still good
    expect(rig.last("re/humid")).toMatchObject({ quality: "bad", error: "LOS_E_DEVICE_BAD_FRAME" });
    const snap = json.device.snapshot() as { pressureHpa: number };
    expect(Math.abs(num(rig, "json/pressure") - snap.pressureHpa)).toBeLessThan(1);
  });
});

describe("command/response", () => {
  it("polls READ?/RATE?/ID? through the bus queue and writes SET RATE, reading it back", async () => {
    const cmd = await sim({ model: "command", responseDelayMs: 1 });
    rig = await startRig([{ id: "thp", profile: catalogueProfile("llmagentos/command-thp-sim"), connection: { path: cmd.path, interFrameDelayMs: 2 } }]);
    await waitFor(() => ["temperature", "humidity", "pressure", "rate", "id"].every((p) => good(rig!, `thp/${p}`)), "all points");
    expect(num(rig, "thp/rate")).toBe(1);
    expect(String(rig.last("thp/id")?.value)).toMatch(/^LLMAGENTOS,SIM-THP,/);
    await rig.manager.write("thp", "rate", 25);
    expect((cmd.device as unknown as { rate: number }).rate).toBe(25);
    await waitFor(() => num(rig!, "thp/rate") === 25, "rate read back");
    const h = rig.manager.health().thp!;
    expect(h.connected).toBe(true);
    expect(h.latencyMs).toBeGreaterThanOrEqual(0);
    expect(rig.manager.stats().requests).toBeGreaterThan(3);
  });

  it("an ERR answer to a write is a coded error; the device keeps polling", async () => {
    const cmd = await sim({ model: "command", responseDelayMs: 1 });
    const profile = catalogueProfile("llmagentos/command-thp-sim");
    const fast = { ...profile, defaults: { ...profile.defaults, pollMs: 50 } };
    // the envelope is the caller's job: the device manager passes 500, the simulator refuses it
    rig = await startRig([{ id: "thp", profile: fast, connection: { path: cmd.path } }]);
    await waitFor(() => good(rig!, "thp/rate"), "rate");
    await expect(rig.manager.write("thp", "rate", 500)).rejects.toMatchObject({
      code: "LOS_E_WRITE_FAILED",
      details: { deviceError: "LOS_E_DEVICE_EXCEPTION" },
    });
    const before = rig.manager.stats().requests;
    await waitFor(() => rig!.manager.stats().requests > before + 2, "polling goes on");
    expect(num(rig, "thp/rate")).toBe(1);
  });

  it("two devices share one RS-485 line by address; a silent address times out and goes unavailable", async () => {
    const a = await sim({ model: "command", command: { address: 7 }, responseDelayMs: 1 });
    const profile = catalogueProfile("llmagentos/command-thp-sim");
    const fast = { ...profile, defaults: { ...profile.defaults, pollMs: 50 }, framing: { kind: "command" as const, eol: "\r\n", timeoutMs: 60 } };
    rig = await startRig([
      { id: "s7", profile: fast, connection: { path: a.path, address: "07" } },
      { id: "s9", profile: fast, connection: { path: a.path, address: "09" } },
    ]);
    await waitFor(() => good(rig!, "s7/temperature"), "address 07 answers");
    await waitFor(() => rig!.lastStatus("s9")?.available === false, "address 09 unavailable");
    expect(rig.lastStatus("s9")).toMatchObject({ error: "LOS_E_DEVICE_TIMEOUT" });
    expect(rig.last("s9/temperature")).toMatchObject({ quality: "bad", error: "LOS_E_DEVICE_TIMEOUT" });
    expect(rig.lastStatus("s7")).toMatchObject({ available: true });
    expect(rig.manager.devices().map((d) => d.address).sort()).toEqual(["addr 07", "addr 09"]);
    expect((rig.manager.health().s9!.stats as SerialDeviceStats).timeouts).toBeGreaterThan(0);
    const before = rig.manager.health().s7!.stats.pointsRead;
    await waitFor(() => rig!.manager.health().s7!.stats.pointsRead > before + 3, "07 keeps answering");
  });
});
