/** The serial profile's schema and semantic checks: each framing's locators, and what they refuse. */
import { describe, expect, it } from "vitest";
import { checkProfile } from "../../src/config/profile-load.js";
import { DeviceProfile, type SerialFraming } from "../../src/config/profile-schema.js";
import { validateSchema } from "../../src/config/validate.js";

function problems(framing: SerialFraming, points: Record<string, unknown>[]): string[] {
  const profile = { vendor: "t", model: "m", protocol: "serial", source: "test", framing, points };
  const schema = validateSchema(DeviceProfile, profile);
  if (schema.length > 0) return schema.map((p) => `${p.path.join(".")}: ${p.message}`);
  return checkProfile(profile as DeviceProfile).map((p) => `${p.path.join(".")}: ${p.message}`);
}

describe("serial profile checks", () => {
  it("accepts a point located the way its framing cuts the stream", () => {
    expect(problems({ kind: "lines", format: "csv", columns: 2 }, [{ name: "t", column: 1, unit: "degC" }])).toEqual([]);
    expect(problems({ kind: "nmea" }, [{ name: "lat", sentence: "GGA", field: 2, coordinate: "latitude", unit: "deg" }])).toEqual([]);
    expect(
      problems({ kind: "binary", sync: [170], lengthOffset: 1, lengthBytes: 1, checksum: "xor8" }, [{ name: "x", byteOffset: 0, type: "int16", byteOrder: "little", unit: "" }]),
    ).toEqual([]);
    expect(
      problems({ kind: "command", addressPrefix: "#{address}", errorPattern: "^(ERR|\\?)" }, [
        { name: "r", command: "R?", regex: "R=(\\d+)", writeCommand: "R {value}", writable: true, unit: "", envelope: { min: 0 } },
      ]),
    ).toEqual([]);
  });

  it("names what is missing or wrong", () => {
    expect(problems({ kind: "lines", format: "regex" }, [{ name: "a" }])).toEqual(["points.0.regex: a point of a regex-lines profile needs `regex`"]);
    expect(problems({ kind: "lines", format: "json" }, [{ name: "a", path: "x", coordinate: "latitude" }])).toEqual(["points.0.coordinate: coordinate applies to NMEA points"]);
    expect(problems({ kind: "lines", format: "csv" }, [{ name: "a", column: 0, type: "int16" }])).toEqual([
      "points.0.type: int16 is a binary-frame type; text values are number, bool or string",
    ]);
    expect(problems({ kind: "nmea" }, [{ name: "a", sentence: "GGA" }])[0]).toMatch(/needs `sentence`/);
    expect(problems({ kind: "nmea" }, [{ name: "a", sentence: "GGA", field: 1, writable: true }])).toContain(
      "points.0.writable: points of a nmea profile are read-only (the device only sends)",
    );
    expect(problems({ kind: "binary", sync: [170, 85], lengthOffset: 1, lengthBytes: 1, checksum: "none", maxPayload: 4 }, [{ name: "a", byteOffset: 2, type: "int32" }])).toEqual([
      "framing.lengthOffset: the length field must come after the 2 sync bytes",
      "points.0.byteOffset: the field ends at byte 6, past maxPayload 4",
    ]);
    expect(problems({ kind: "command", errorPattern: "(" }, [{ name: "a", command: "A?" }])[0]).toMatch(/^framing.errorPattern: invalid regular expression/);
    expect(problems({ kind: "command" }, [{ name: "a", writable: true, envelope: {} }])).toEqual(["points.0.writeCommand: a writable command/response point needs `writeCommand`"]);
    expect(problems({ kind: "lines", format: "regex" }, [{ name: "a", regex: "([" }])[0]).toMatch(/^points.0.regex: invalid regular expression/);
  });
});
