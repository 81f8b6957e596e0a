import { describe, expect, it } from "vitest";
import { verifyNmeaSentence } from "../../src/devices/serial/nmea-checksum.js";
import { GpsModel } from "../../simulators/models/gps.js";
import { WeatherStationModel } from "../../simulators/models/weather-station.js";
import { gpsSentences } from "../../simulators/serial/gps-device.js";

/** Great-circle distance in metres. */
function haversine(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const r = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * r) / 2) ** 2 + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(((lon2 - lon1) * r) / 2) ** 2;
  return 2 * 6_371_000 * Math.asin(Math.sqrt(a));
}

describe("GpsModel", () => {
  it("is reproducible from its seed and moves along its track at about its speed", () => {
    const a = new GpsModel({ seed: 5, speedMps: 10, courseDeg: 0 });
    const b = new GpsModel({ seed: 5, speedMps: 10, courseDeg: 0 });
    const start = a.read();
    for (let i = 0; i < 60; i++) {
      a.step(1000);
      b.step(1000);
    }
    const end = a.read();
    expect(b.read()).toEqual(end);
    expect(a.distanceM).toBeGreaterThan(500);
    expect(a.distanceM).toBeLessThan(700);
    // The course wanders a little, so the straight line is a bit shorter than the path.
    const straight = haversine(start.latitude, start.longitude, end.latitude, end.longitude);
    expect(straight).toBeLessThanOrEqual(a.distanceM + 1e-6);
    expect(straight).toBeGreaterThan(0.9 * a.distanceM);
    expect(end.latitude).toBeGreaterThan(start.latitude); // heading north
    expect(new GpsModel({ seed: 6, speedMps: 10, courseDeg: 0 }).read().satellites).not.toEqual(new GpsModel({ seed: 5 }).read().satellites);
  });

  it("keeps 4..12 distinct satellites and an HDOP that follows their count", () => {
    const gps = new GpsModel({ seed: 2 });
    for (let i = 0; i < 600; i++) {
      gps.step(10_000);
      const f = gps.read();
      expect(new Set(f.satellites).size).toBe(f.satellites.length);
      expect(f.satellites.length).toBeGreaterThanOrEqual(4);
      expect(f.satellites.length).toBeLessThanOrEqual(12);
      expect(f.hdop).toBeCloseTo(0.6 + 6 / f.satellites.length, 1);
    }
  });

  it("without a fix sends empty positions, RMC status V and GGA quality 0, still checksummed", () => {
    const gps = new GpsModel();
    gps.setFix(0);
    const lines = gpsSentences(gps.read(), Date.UTC(2026, 0, 1)).map((m) => m.bytes.toString("latin1").trim());
    for (const l of lines) expect(verifyNmeaSentence(l), l).toMatchObject({ ok: true });
    const gga = (lines[0] as string).split(",");
    expect([gga[2], gga[4], gga[6], gga[7]]).toEqual(["", "", "0", "00"]);
    const rmc = (lines[2] as string).split(",");
    expect([rmc[2], rmc[3]]).toEqual(["V", ""]);
    expect((lines[1] as string).split(",")[2]).toBe("1"); // GSA: no fix
  });

  it("the weather station's wind stays non-negative and its direction within 0..360", () => {
    const ws = new WeatherStationModel({ seed: 4, meanWindMps: 2 });
    for (let i = 0; i < 2000; i++) {
      ws.step(1000);
      const r = ws.read();
      expect(r.windSpeedMps).toBeGreaterThanOrEqual(0);
      expect(r.windDirectionDeg).toBeGreaterThanOrEqual(0);
      expect(r.windDirectionDeg).toBeLessThan(360);
      expect(r.dewPointC).toBeLessThanOrEqual(r.temperatureC + 1e-9);
    }
  });
});
