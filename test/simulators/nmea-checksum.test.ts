import { describe, expect, it } from "vitest";
import { nmeaChecksum, nmeaChecksumHex, verifyNmeaSentence, withNmeaChecksum } from "../../src/devices/serial/nmea-checksum.js";
import { nmeaDate, nmeaLatitude, nmeaLongitude, nmeaSentence, nmeaTime } from "../../simulators/serial/nmea-encoder.js";

// Example sentences published in NMEA references (gpsinformation.org / NMEA 0183 guides).
const PUBLISHED = [
  "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47",
  "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A",
  "$GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1*39",
  "$GPVTG,054.7,T,034.4,M,005.5,N,010.2,K*48",
];

describe("NMEA checksum", () => {
  it("verifies published example sentences", () => {
    for (const s of PUBLISHED) expect(verifyNmeaSentence(`${s}\r\n`), s).toMatchObject({ ok: true });
    expect(nmeaChecksumHex("GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,")).toBe("47");
    expect(nmeaChecksum("GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W")).toBe(0x6a);
  });

  it("encodes a sentence the published way, with CR LF", () => {
    const fields = ["123519", "4807.038", "N", "01131.000", "E", "1", "08", "0.9", "545.4", "M", "46.9", "M", "", ""];
    expect(nmeaSentence("GPGGA", fields).bytes.toString("latin1")).toBe(`${PUBLISHED[0]}\r\n`);
    expect(withNmeaChecksum("GPVTG,054.7,T,034.4,M,005.5,N,010.2,K")).toBe(PUBLISHED[3]);
  });

  it("reports what is wrong with a bad sentence", () => {
    expect(verifyNmeaSentence("$GPGGA,123519*48")).toMatchObject({ ok: false, reason: "mismatch", actual: 0x48 });
    expect(verifyNmeaSentence("$GPGGA,123519*4")).toMatchObject({ ok: false, reason: "bad-hex" });
    expect(verifyNmeaSentence("$GPGGA,123519")).toMatchObject({ ok: false, reason: "no-checksum" });
    expect(verifyNmeaSentence("GPGGA,123519*47")).toMatchObject({ ok: false, reason: "no-start" });
    expect(verifyNmeaSentence("$gpgga*" + nmeaChecksumHex("gpgga").toLowerCase())).toMatchObject({ ok: true });
  });

  it("a corrupted sentence differs only in its checksum", () => {
    const m = nmeaSentence("GPVTG", ["054.7", "T", "034.4", "M", "005.5", "N", "010.2", "K"]);
    const bad = m.corrupt?.().toString("latin1") ?? "";
    expect(bad.slice(0, -4)).toBe(m.bytes.toString("latin1").slice(0, -4));
    expect(verifyNmeaSentence(bad)).toMatchObject({ ok: false, reason: "mismatch" });
  });

  it("formats angles, time and date as NMEA does", () => {
    expect(nmeaLatitude(48.1173)).toEqual(["4807.0380", "N"]);
    expect(nmeaLongitude(-11.5166667)).toEqual(["01131.0000", "W"]);
    expect(nmeaLatitude(-0.5)).toEqual(["0030.0000", "S"]);
    expect(nmeaLatitude(47.99999999)).toEqual(["4800.0000", "N"]);
    expect(nmeaTime(Date.UTC(1994, 2, 23, 12, 35, 19, 250))).toBe("123519.25");
    expect(nmeaDate(Date.UTC(1994, 2, 23))).toBe("230394");
  });
});
