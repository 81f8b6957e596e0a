/** Point values from records: every binary type and byte order, scale/offset, text types, NMEA fields. */
import { describe, expect, it } from "vitest";
import type { SerialFraming, SerialPointDef } from "../../src/config/profile-schema.js";
import { formatValue } from "../../src/devices/serial/command-device.js";
import { compileLocator } from "../../src/devices/serial/point-locator.js";

const binary: SerialFraming = { kind: "binary", sync: [1], lengthOffset: 1, lengthBytes: 1, checksum: "none" };
const bin = (def: Partial<SerialPointDef>, payload: number[]) => compileLocator(binary, { name: "p", ...def })({ kind: "binary", payload: Buffer.from(payload) });

describe("point values", () => {
  it("binary types in both byte orders, with scale and offset", () => {
    expect(bin({ byteOffset: 0, type: "int8" }, [0xff])).toBe(-1);
    expect(bin({ byteOffset: 1, type: "uint8" }, [0, 0xff])).toBe(255);
    expect(bin({ byteOffset: 0, type: "int16" }, [0xff, 0x38])).toBe(-200);
    expect(bin({ byteOffset: 0, type: "int16", byteOrder: "little" }, [0x38, 0xff])).toBe(-200);
    expect(bin({ byteOffset: 0, type: "uint16", scale: 0.1, offset: -40 }, [0x01, 0x90])).toBeCloseTo(0);
    expect(bin({ byteOffset: 0, type: "int32" }, [0xff, 0xff, 0xff, 0xfe])).toBe(-2);
    expect(bin({ byteOffset: 0, type: "uint32", byteOrder: "little" }, [1, 0, 0, 0x80])).toBe(0x80000001);
    const f = Buffer.alloc(4);
    f.writeFloatLE(1.5);
    expect(bin({ byteOffset: 0, type: "float32", byteOrder: "little" }, [...f])).toBe(1.5);
    expect(() => bin({ byteOffset: 3, type: "int16" }, [0, 0, 0, 0])).toThrow(expect.objectContaining({ code: "LOS_E_DEVICE_BAD_FRAME" }));
  });

  it("text: number, bool words, string; unusable text is a bad frame", () => {
    const csv: SerialFraming = { kind: "lines", format: "csv" };
    const at = (def: Partial<SerialPointDef>, columns: string[]) => compileLocator(csv, { name: "p", column: 0, ...def })({ kind: "csv", columns });
    expect(at({ scale: 2 }, [" 21.5 "])).toBe(43);
    expect(at({ type: "bool" }, ["ON"])).toBe(true);
    expect(at({ type: "bool" }, ["0"])).toBe(false);
    expect(at({ type: "string" }, ["abc"])).toBe("abc");
    expect(at({ column: 3 }, ["1"])).toBeUndefined();
    expect(() => at({}, ["n/a"])).toThrow(expect.objectContaining({ code: "LOS_E_DEVICE_BAD_FRAME" }));
    const json: SerialFraming = { kind: "lines", format: "json" };
    expect(compileLocator(json, { name: "p", path: "a.b", type: "bool" })({ kind: "json", doc: { a: { b: true } } })).toBe(true);
    expect(compileLocator(json, { name: "p", path: "a.c" })({ kind: "json", doc: { a: { b: 1 } } })).toBeUndefined();
  });

  it("NMEA: only its sentence type, coordinates, empty fields coded", () => {
    const nmea: SerialFraming = { kind: "nmea" };
    const lat = compileLocator(nmea, { name: "lat", sentence: "GGA", field: 2, coordinate: "latitude" });
    const sentence = (type: string, fields: string[]) => ({ kind: "nmea" as const, sentence: { talker: "GN", type, fields } });
    expect(lat(sentence("GGA", ["1", "4807.038", "S"]))).toBeCloseTo(-48.1173, 6);
    expect(lat(sentence("RMC", ["1", "4807.038", "S"]))).toBeUndefined();
    expect(() => lat(sentence("GGA", ["1", "", ""]))).toThrow(expect.objectContaining({ code: "LOS_E_DEVICE_NO_VALUE" }));
    expect(() => lat(sentence("GGA", ["1"]))).toThrow(expect.objectContaining({ code: "LOS_E_DEVICE_BAD_FRAME" }));
  });

  it("write values: booleans 1/0, numbers unscaled", () => {
    expect(formatValue(true, { name: "p" })).toBe("1");
    expect(formatValue(25, { name: "p" })).toBe("25");
    expect(formatValue(2.5, { name: "p", scale: 0.1 })).toBe("25");
    expect(formatValue(0.3, { name: "p" })).toBe("0.3");
  });
});
