import { describe, expect, it } from "vitest";
import { appendCrc } from "../../simulators/modbus/crc16.js";
import { RtuRequestParser, requestFrameLength } from "../../simulators/modbus/rtu-framing.js";

const read = (unit: number) => appendCrc(Buffer.from([unit, 0x03, 0, 0, 0, 2]));
const writeMany = appendCrc(Buffer.from([2, 0x10, 0, 1, 0, 2, 4, 0, 9, 0, 8]));

describe("requestFrameLength", () => {
  it("derives request lengths from the function code and byte count", () => {
    expect(requestFrameLength(read(1))).toBe(8);
    expect(requestFrameLength(writeMany)).toBe(13);
    expect(requestFrameLength(writeMany.subarray(0, 6))).toBe("more");
    expect(requestFrameLength(Buffer.from([1, 0x41]))).toBe("unknown");
  });
});

describe("RtuRequestParser", () => {
  it("reassembles frames split across chunks and several frames in one chunk", () => {
    const p = new RtuRequestParser();
    const stream = Buffer.concat([read(1), writeMany, read(3)]);
    const frames: Buffer[] = [];
    for (let i = 0; i < stream.length; i += 3) frames.push(...p.push(stream.subarray(i, i + 3)));
    expect(frames.map((f) => f.toString("hex"))).toEqual([read(1), writeMany, read(3)].map((f) => f.toString("hex")));
    expect(p.pending).toBe(0);
    expect(p.badFrames).toBe(0);
  });

  it("drops a frame with a bad CRC and resynchronises on the next one", () => {
    const p = new RtuRequestParser();
    const bad = read(1);
    bad[7] = (bad[7] as number) ^ 0xff;
    const frames = [...p.push(Buffer.concat([bad, read(2)])), ...p.flush()];
    expect(frames.map((f) => f.toString("hex"))).toEqual([read(2).toString("hex")]);
    expect(p.badFrames).toBe(1);
  });

  it("resynchronises after leading noise without waiting", () => {
    const p = new RtuRequestParser();
    const noise = Buffer.from([0x07, 0x10, 0x00, 0xff]);
    expect(p.push(Buffer.concat([noise, read(5)])).map((f) => f.toString("hex"))).toEqual([read(5).toString("hex")]);
    expect(p.pending).toBe(0);
  });

  it("discards a partial frame when the line goes idle (flush)", () => {
    const p = new RtuRequestParser();
    expect(p.push(Buffer.from([1, 0x10, 0, 0]))).toEqual([]);
    expect(p.pending).toBe(4);
    expect(p.flush()).toEqual([]);
    expect(p.pending).toBe(0);
    expect(p.push(read(5))).toHaveLength(1);
  });

  it("finds frames of unknown function codes by their CRC", () => {
    const p = new RtuRequestParser();
    const custom = appendCrc(Buffer.from([1, 0x41, 9, 9]));
    expect(p.push(Buffer.concat([custom, read(1)])).map((f) => f.toString("hex"))).toEqual([
      custom.toString("hex"),
      read(1).toString("hex"),
    ]);
  });
});
