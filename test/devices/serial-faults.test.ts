/**
 * Bad input and bad ports against the serial simulators over real ptys: bad checksums, cut lines,
 * noise and cut binary frames are counted and coded while good data keeps flowing; a port pulled
 * and plugged back; a port that does not exist at start; a port already in use.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SerialPort } from "serialport";
import { afterEach, describe, expect, it } from "vitest";
import { startSerialSimulator, type SerialSimulator } from "../../simulators/serial/simulator.js";
import type { SerialDeviceStats } from "../../src/devices/serial/serial-stats.js";
import { catalogueProfile, startRig, waitFor, type SerialRig } from "./serial-helpers.js";

let sims: SerialSimulator[] = [];
let rig: SerialRig | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
  for (const c of cleanups.splice(0)) await c();
});

async function sim(o: Parameters<typeof startSerialSimulator>[0]): Promise<SerialSimulator> {
  const s = await startSerialSimulator({ pty: true, baudRate: 115200, periodMs: 20, ...o });
  sims.push(s);
  return s;
}

const stats = (rig: SerialRig, id: string) => rig.manager.health()[id]!.stats as SerialDeviceStats;
const count = (rig: SerialRig, point: string) => rig.readings.get(point)?.filter((r) => r.quality === "good").length ?? 0;

describe("bad input is counted and coded; good data keeps flowing", () => {
  it("NMEA: bad checksums and cut sentences", async () => {
    const wx = await sim({ model: "weather" });
    wx.faults.inject({ mode: "badChecksum", probability: 0.3 });
    wx.faults.inject({ mode: "truncate", probability: 0.2 });
    rig = await startRig([{ id: "wx", profile: catalogueProfile("airmar/200wx"), connection: { path: wx.path } }]);
    await waitFor(() => stats(rig!, "wx").checksumFailures >= 3 && stats(rig!, "wx").linesParsed >= 10, "checksum failures among good lines");
    const s = stats(rig, "wx");
    expect(s.available).toBe(true);
    expect(rig.manager.health().wx!.lastError?.code).toMatch(/LOS_E_DEVICE_(CHECKSUM|BAD_FRAME)/);
    expect(rig.last("wx/pressure")?.quality).toBe("good");
    // the driver saw at most what the simulator damaged
    expect(s.checksumFailures).toBeLessThanOrEqual(wx.stats().faults.badChecksum + wx.stats().faults.truncate);
  });

  it("CSV: noise and cut lines become bad frames, never wrong values", async () => {
    const csv = await sim({ model: "csv" });
    csv.faults.inject({ mode: "truncate", probability: 0.3 });
    csv.faults.inject({ mode: "noise", probability: 0.3, noiseBytes: 3 });
    rig = await startRig([{ id: "csv", profile: catalogueProfile("llmagentos/csv-thp-sim"), connection: { path: csv.path } }]);
    await waitFor(() => stats(rig!, "csv").badFrames >= 3 && count(rig!, "csv/pressure") >= 1, "bad frames and good readings");
    // a cut line run into the next one must not pass as a pressure
    for (const r of rig.readings.get("csv/pressure")!) if (r.quality === "good") expect(r.value as number).toBeGreaterThan(900);
    for (const r of rig.readings.get("csv/pressure")!) if (r.quality === "good") expect(r.value as number).toBeLessThan(1100);
  });

  it("binary: bad CRCs, cut frames and noise are skipped, frames keep coming", async () => {
    const bin = await sim({ model: "binary" });
    bin.faults.inject({ mode: "badChecksum", probability: 0.25 });
    bin.faults.inject({ mode: "truncate", probability: 0.25 });
    bin.faults.inject({ mode: "noise", probability: 0.25 });
    rig = await startRig([{ id: "bin", profile: catalogueProfile("llmagentos/binary-thp-sim"), connection: { path: bin.path } }]);
    await waitFor(() => {
      const s = stats(rig!, "bin");
      return s.checksumFailures >= 2 && s.badFrames >= 1 && s.framesParsed >= 10;
    }, "bad and good frames");
    expect(stats(rig, "bin").available).toBe(true);
    for (const r of rig.readings.get("bin/pressure")!) expect(r.value as number).toBeGreaterThan(900);
  });

  it("a device that only sends garbage goes unavailable after staleMs", async () => {
    const csv = await sim({ model: "csv" });
    const profile = catalogueProfile("llmagentos/csv-thp-sim");
    rig = await startRig([{ id: "csv", profile: { ...profile, defaults: { ...profile.defaults, staleMs: 150 } }, connection: { path: csv.path } }]);
    await waitFor(() => rig!.lastStatus("csv")?.available === true, "available");
    csv.faults.inject({ mode: "truncate" });
    await waitFor(() => rig!.lastStatus("csv")?.available === false, "stale");
    expect(rig.lastStatus("csv")).toMatchObject({ error: "LOS_E_DEVICE_TIMEOUT" });
    expect(rig.last("csv/temperature")).toMatchObject({ quality: "bad", error: "LOS_E_DEVICE_TIMEOUT" });
    csv.faults.clear();
    await waitFor(() => rig!.lastStatus("csv")?.available === true && rig!.last("csv/temperature")?.quality === "good", "back");
  });
});

describe("ports that go away, are missing or busy", () => {
  // several real port closes and reopens: allow for a busy machine (a bound, not a measurement)
  it("unplug: unavailable with a coded error; replug: data flows again without a restart", { timeout: 20_000 }, async () => {
    const gps = await sim({ model: "gps" });
    const cmd = await sim({ model: "command", responseDelayMs: 1 });
    const profile = catalogueProfile("llmagentos/command-thp-sim");
    rig = await startRig([
      { id: "gps", profile: catalogueProfile("generic/nmea-gps"), connection: { path: gps.path } },
      { id: "thp", profile: { ...profile, defaults: { ...profile.defaults, pollMs: 30 } }, connection: { path: cmd.path } },
    ]);
    await waitFor(() => rig!.last("gps/latitude")?.quality === "good" && rig!.last("thp/temperature")?.quality === "good", "both flowing");
    await gps.unplug();
    await cmd.unplug();
    await waitFor(() => rig!.lastStatus("gps")?.available === false && rig!.lastStatus("thp")?.available === false, "both unavailable");
    expect(rig.lastStatus("gps")!.error).toMatch(/LOS_E_DEVICE_DISCONNECTED|LOS_E_SERIAL_PORT_MISSING/);
    expect(rig.last("gps/latitude")).toMatchObject({ quality: "bad" });
    expect(rig.manager.health().gps!.connected).toBe(false);
    await waitFor(() => rig!.manager.health().gps!.lastError?.code === "LOS_E_SERIAL_PORT_MISSING", "reopen finds no port");
    const gpsBefore = count(rig, "gps/latitude");
    await gps.replug();
    await cmd.replug();
    await waitFor(() => rig!.lastStatus("gps")?.available === true && rig!.lastStatus("thp")?.available === true, "both back").catch((e: unknown) => {
      throw new Error(`${String(e)}: ${JSON.stringify({ h: rig!.manager.health(), s: [...rig!.statuses.entries()] })}`);
    });
    await waitFor(() => count(rig!, "gps/latitude") > gpsBefore && rig!.last("thp/temperature")?.quality === "good", "data again");
    expect(rig.manager.stats().reconnects).toBeGreaterThanOrEqual(2);
  });

  it("a port missing at start is LOS_E_SERIAL_PORT_MISSING; the other devices run, and it joins when it appears", async () => {
    const dir = await mkdtemp(join(tmpdir(), "los-serial-late-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const csv = await sim({ model: "csv" });
    const late = join(dir, "b");
    rig = await startRig([
      { id: "late", profile: catalogueProfile("llmagentos/json-thp-sim"), connection: { path: late } },
      { id: "csv", profile: catalogueProfile("llmagentos/csv-thp-sim"), connection: { path: csv.path } },
      { id: "cmd", profile: catalogueProfile("llmagentos/command-thp-sim"), connection: { path: join(dir, "never") } },
    ]);
    expect(rig.lastStatus("late")).toMatchObject({ available: false, error: "LOS_E_SERIAL_PORT_MISSING" });
    expect(rig.lastStatus("cmd")).toMatchObject({ available: false, error: "LOS_E_SERIAL_PORT_MISSING" });
    expect(rig.last("cmd/temperature")).toMatchObject({ quality: "bad", error: "LOS_E_SERIAL_PORT_MISSING" });
    expect(rig.manager.health().late!.lastError?.code).toBe("LOS_E_SERIAL_PORT_MISSING");
    await waitFor(() => rig!.last("csv/temperature")?.quality === "good", "the other device flows");
    await sim({ model: "json", ptyDir: dir });
    await waitFor(() => rig!.last("late/temperature")?.quality === "good", "the late port joins");
  });

  it("a port already in use is LOS_E_SERIAL_PORT_BUSY; the other devices run", async () => {
    const csv = await sim({ model: "csv" });
    const json = await sim({ model: "json" });
    const holder = new SerialPort({ path: json.path, baudRate: 9600, autoOpen: false });
    await new Promise<void>((res, rej) => holder.open((e) => (e ? rej(e) : res())));
    cleanups.push(() => new Promise<void>((res) => (holder.isOpen ? holder.close(() => res()) : res())));
    rig = await startRig([
      { id: "busy", profile: catalogueProfile("llmagentos/json-thp-sim"), connection: { path: json.path } },
      { id: "csv", profile: catalogueProfile("llmagentos/csv-thp-sim"), connection: { path: csv.path } },
    ]);
    expect(rig.lastStatus("busy")).toMatchObject({ available: false, error: "LOS_E_SERIAL_PORT_BUSY" });
    await waitFor(() => rig!.last("csv/temperature")?.quality === "good", "the other device flows");
    await new Promise<void>((res) => holder.close(() => res()));
    await waitFor(() => rig!.last("busy/temperature")?.quality === "good", "free port taken over");
  });
});
