/**
 * The serial framers and parsers on byte sequences, each stream also fed split at every position
 * (and byte by byte), so a record cut across two reads comes out the same as in one.
 */
import { describe, expect, it } from "vitest";
import { BinaryFramer } from "../../src/devices/serial/binary-framer.js";
import { crc16Modbus, sum8, xor8 } from "../../src/devices/serial/checksums.js";
import { LineSplitter } from "../../src/devices/serial/line-splitter.js";
import { nmeaCoordinate, parseNmeaSentence } from "../../src/devices/serial/nmea-sentence.js";
import { withNmeaChecksum } from "../../src/devices/serial/nmea-checksum.js";
import { StreamDecoder } from "../../src/devices/serial/stream-decoder.js";
import { jsonPath, parseJsonLine, regexCapture, regexLocator, splitCsv } from "../../src/devices/serial/text-parsers.js";

/** Feed `bytes` as two chunks cut at every position, and byte by byte; every run must agree. */
function everySplit<T>(bytes: Buffer, make: () => { push(b: Buffer): T[] }): T[] {
  const whole = make().push(bytes);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const f = make();
    expect([...f.push(bytes.subarray(0, cut)), ...f.push(bytes.subarray(cut))]).toEqual(whole);
  }
  const f = make();
  const bytewise: T[] = [];
  for (let i = 0; i < bytes.length; i++) bytewise.push(...f.push(bytes.subarray(i, i + 1)));
  expect(bytewise).toEqual(whole);
  return whole;
}

describe("line splitter", () => {
  it("cuts lines at LF, drops a trailing CR, keeps the partial tail", () => {
    const lines = everySplit(Buffer.from("a,1\r\nb,2\n\r\nc"), () => new LineSplitter());
    expect(lines).toEqual(["a,1", "b,2", ""]);
  });

  it("a multi-byte terminator may straddle reads", () => {
    expect(everySplit(Buffer.from("one;;two;;thr"), () => new LineSplitter({ eol: ";;" }))).toEqual(["one", "two"]);
  });

  it("drops overlong lines whole and counts them; the next line is intact", () => {
    const s = new LineSplitter({ maxLineBytes: 16 });
    const out = s.push(Buffer.from(`${"x".repeat(40)}\nok\n${"y".repeat(17)}\nfine\n`));
    expect(out).toEqual(["ok", "fine"]);
    expect(s.overlong).toBe(2);
    const split = new LineSplitter({ maxLineBytes: 16 });
    const parts = [...split.push(Buffer.from("z".repeat(10))), ...split.push(Buffer.from("z".repeat(10))), ...split.push(Buffer.from("zz\nafter\n"))];
    expect(parts).toEqual(["after"]);
    expect(split.overlong).toBe(1);
  });
});

describe("NMEA sentences", () => {
  const gga = withNmeaChecksum("GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,");

  it("parses a published GGA sentence, talker apart from type", () => {
    // the classic example sentence with its published checksum 47
    expect(gga).toBe("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47");
    const r = parseNmeaSentence(gga);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.sentence).toMatchObject({ talker: "GP", type: "GGA" });
    expect(r.sentence.fields[1]).toBe("4807.038");
    expect(r.sentence.fields[13]).toBe("");
  });

  it("is talker-agnostic: GNGGA is a GGA too", () => {
    const r = parseNmeaSentence(withNmeaChecksum("GNGGA,1,2"));
    expect(r.ok && r.sentence).toMatchObject({ talker: "GN", type: "GGA" });
  });

  it("refuses a bad checksum, a missing one unless allowed, and garbage", () => {
    expect(parseNmeaSentence(gga.replace("*47", "*48"))).toEqual({ ok: false, reason: "checksum" });
    expect(parseNmeaSentence("$GPGGA,1,2")).toEqual({ ok: false, reason: "checksum" });
    expect(parseNmeaSentence("$GPGGA,1,2", false)).toMatchObject({ ok: true });
    expect(parseNmeaSentence("hello")).toEqual({ ok: false, reason: "malformed" });
  });

  it("skips noise and a cut sentence before the last $", () => {
    const r = parseNmeaSentence(`\x07\xff$GPRMC,12${gga}`);
    expect(r.ok && r.sentence.type).toBe("GGA");
  });

  it("converts ddmm.mmmm + hemisphere to signed degrees", () => {
    expect(nmeaCoordinate("4807.038", "N")).toBeCloseTo(48.1173, 6);
    expect(nmeaCoordinate("01131.000", "E")).toBeCloseTo(11.516667, 6);
    expect(nmeaCoordinate("3351.000", "S")).toBeCloseTo(-33.85, 6);
    expect(nmeaCoordinate("15112.600", "W")).toBeCloseTo(-151.21, 6);
    expect(nmeaCoordinate("", "N")).toBeUndefined();
    expect(nmeaCoordinate("4807.038", "")).toBeUndefined();
  });
});

describe("checksums", () => {
  it("CRC-16/MODBUS, sum8 and xor8 of known bytes", () => {
    // the Modbus read request 01 03 00 00 00 0A carries CRC C5 CD (low byte first)
    const req = Buffer.from([0x01, 0x03, 0x00, 0x00, 0x00, 0x0a]);
    expect(crc16Modbus(req, 0, req.length)).toBe(0xcdc5);
    expect(crc16Modbus(Buffer.from("123456789"), 0, 9)).toBe(0x4b37);
    expect(sum8(Buffer.from([0xff, 0x02]), 0, 2)).toBe(0x01);
    expect(xor8(Buffer.from([0x0f, 0xf0, 0x01]), 0, 3)).toBe(0xfe);
  });
});

/** sync AA 55, length (1 byte), payload, CRC-16/MODBUS over length+payload. */
function frame(payload: number[], checksum: "crc16-modbus" | "sum8" | "xor8" = "crc16-modbus"): Buffer {
  const body = Buffer.from([payload.length, ...payload]);
  const head = Buffer.from([0xaa, 0x55]);
  if (checksum === "sum8") return Buffer.concat([head, body, Buffer.from([sum8(body, 0, body.length)])]);
  if (checksum === "xor8") return Buffer.concat([head, body, Buffer.from([xor8(body, 0, body.length)])]);
  const crc = crc16Modbus(body, 0, body.length);
  return Buffer.concat([head, body, Buffer.from([crc & 0xff, crc >>> 8])]);
}

const framer = (checksum: "crc16-modbus" | "sum8" | "xor8" = "crc16-modbus") =>
  new BinaryFramer({ sync: [0xaa, 0x55], lengthOffset: 2, lengthBytes: 1, checksum, maxPayload: 16 });

describe("binary frames", () => {
  it("decodes frames split at every position, with each checksum kind", () => {
    for (const kind of ["crc16-modbus", "sum8", "xor8"] as const) {
      const stream = Buffer.concat([frame([1, 2, 3], kind), frame([0xaa, 0x55, 9], kind)]);
      const payloads = everySplit(stream, () => framer(kind));
      expect(payloads.map((p) => [...p])).toEqual([[1, 2, 3], [0xaa, 0x55, 9]]);
    }
  });

  it("resyncs after garbage, skips bad checksums and impossible lengths, counting each", () => {
    const bad = frame([7, 7]);
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
    const tooLong = Buffer.from([0xaa, 0x55, 200, 1, 2, 3]);
    const stream = Buffer.concat([Buffer.from([0x00, 0xaa, 0x13, 0x55]), frame([1]), bad, tooLong, frame([2]), Buffer.from([0xaa]), frame([3])]);
    const f = framer();
    const whole = everySplit(stream, framer);
    expect(whole.map((p) => [...p])).toEqual([[1], [2], [3]]);
    f.push(stream);
    expect(f.frames).toBe(3);
    expect(f.badChecksum).toBe(1);
    expect(f.badLength).toBeGreaterThanOrEqual(1);
    expect(f.skippedBytes).toBeGreaterThan(0);
  });

  it("a frame cut short by the next one counts as a bad length and loses only itself", () => {
    const cut = frame([1, 2, 3, 4, 5, 6]).subarray(0, 6);
    const f = framer();
    const out = f.push(Buffer.concat([cut, frame([9, 9])]));
    expect(out.map((p) => [...p])).toEqual([[9, 9]]);
    expect(f.badLength).toBe(1);
    expect(f.badChecksum).toBe(0);
  });
});

describe("text parsers", () => {
  it("csv with quotes, json paths, regex groups by number and name", () => {
    expect(splitCsv('a,"b,c",d')).toEqual(["a", "b,c", "d"]);
    expect(splitCsv("1;2", ";")).toEqual(["1", "2"]);
    const doc = parseJsonLine('{"env":{"t":21.5},"values":[1,2]}');
    expect(jsonPath(doc, ["env", "t"])).toBe(21.5);
    expect(jsonPath(doc, ["values", "1"])).toBe(2);
    expect(jsonPath(doc, ["nope", "x"])).toBeUndefined();
    expect(parseJsonLine('{"t":2')).toBeUndefined();
    expect(regexCapture(regexLocator("T=([0-9.]+)"), "T=21.5;H=3")).toBe("21.5");
    expect(regexCapture(regexLocator("H=(?<h>[0-9.]+)", "h"), "T=21.5;H=3")).toBe("3");
    expect(regexCapture(regexLocator("[0-9]+"), "abc 42")).toBe("42");
    expect(regexCapture(regexLocator("X=(\\d)"), "T=1")).toBeUndefined();
  });
});

describe("stream decoder", () => {
  it("NMEA: good sentences through, bad checksums and junk counted and coded", () => {
    const problems: string[] = [];
    const d = new StreamDecoder({ kind: "nmea" }, (code) => problems.push(code));
    const good = withNmeaChecksum("WIMWV,214.8,T,3.2,M,A");
    const text = `${good}\r\n${good.slice(0, -1)}0\r\nnot nmea\r\n${good}\r\n`;
    const records = d.push(Buffer.from(text));
    expect(records).toHaveLength(2);
    expect(d.counters).toMatchObject({ linesParsed: 2, checksumFailures: 1, badFrames: 1 });
    expect(problems).toEqual(["LOS_E_DEVICE_CHECKSUM", "LOS_E_DEVICE_BAD_FRAME"]);
  });

  it("csv: a line with the wrong column count is a bad frame; json: a cut line is one", () => {
    const csv = new StreamDecoder({ kind: "lines", format: "csv", columns: 3 }, () => undefined);
    expect(csv.push(Buffer.from("1,2,3\r\n1,2,31,2,3\r\n4,5,6\r\n"))).toEqual([
      { kind: "csv", columns: ["1", "2", "3"] },
      { kind: "csv", columns: ["4", "5", "6"] },
    ]);
    expect(csv.counters).toMatchObject({ linesParsed: 2, badFrames: 1 });
    const json = new StreamDecoder({ kind: "lines", format: "json" }, () => undefined);
    expect(json.push(Buffer.from('{"t":1}\n{"t":{"t":2}\n'))).toEqual([{ kind: "json", doc: { t: 1 } }]);
    expect(json.counters.badFrames).toBe(1);
  });
});
