/** MBAP framing and the PDU codec of the Modbus TCP client, byte by byte. */
import { describe, expect, it } from "vitest";
import { MbapReader, writeMbapHeader } from "../../src/devices/modbus/mbap-frame.js";
import { checkRequest, decodeResponse, encodeRequest, PduError, requestBytes, type PduRequest } from "../../src/devices/modbus/pdu-codec.js";

/** An MBAP frame around `pdu`. */
function frame(tid: number, unit: number, pdu: number[]): Buffer {
  const b = Buffer.alloc(7 + pdu.length);
  writeMbapHeader(b, 0, tid, unit, pdu.length);
  Buffer.from(pdu).copy(b, 7);
  return b;
}

interface Seen {
  tid: number;
  unit: number;
  pdu: number[];
}

function collect(reader: MbapReader, chunks: Buffer[]): { seen: Seen[]; errors: string[] } {
  const seen: Seen[] = [];
  const errors: string[] = [];
  for (const chunk of chunks) {
    const err = reader.feed(chunk, (tid, unit, buf, start, end) => {
      seen.push({ tid, unit, pdu: [...buf.subarray(start, end)] });
      return true;
    });
    if (err) errors.push(err);
  }
  return { seen, errors };
}

const req = (o: Partial<PduRequest> & Pick<PduRequest, "fc">): PduRequest => ({ address: 0, quantity: 1, value: 0, values: undefined, ...o });

describe("MBAP reader", () => {
  const A = frame(1, 1, [3, 4, 0, 10, 0, 20]);
  const B = frame(2, 5, [1, 1, 0b101]);
  const C = frame(65535, 255, [0x83, 2]);

  it("writes the header: transaction id, protocol 0, length of unit id + PDU, unit id", () => {
    expect([...frame(0x1234, 9, [3, 0, 1, 0, 2])]).toEqual([0x12, 0x34, 0, 0, 0, 6, 9, 3, 0, 1, 0, 2]);
  });

  it("several frames in one chunk", () => {
    const { seen, errors } = collect(new MbapReader(), [Buffer.concat([A, B, C])]);
    expect(errors).toEqual([]);
    expect(seen).toEqual([
      { tid: 1, unit: 1, pdu: [3, 4, 0, 10, 0, 20] },
      { tid: 2, unit: 5, pdu: [1, 1, 0b101] },
      { tid: 65535, unit: 255, pdu: [0x83, 2] },
    ]);
  });

  it("frames split at every byte boundary, and across a buffer smaller than a frame", () => {
    const all = Buffer.concat([A, B, C]);
    for (let cut = 1; cut < all.length; cut++) {
      const { seen } = collect(new MbapReader(4), [all.subarray(0, cut), all.subarray(cut)]);
      expect(seen.map((s) => s.tid)).toEqual([1, 2, 65535]);
    }
    const reader = new MbapReader(4);
    const bytes = [...all].map((b) => Buffer.from([b]));
    const { seen } = collect(reader, bytes);
    expect(seen.map((s) => s.pdu)).toEqual([
      [3, 4, 0, 10, 0, 20],
      [1, 1, 0b101],
      [0x83, 2],
    ]);
    expect(reader.buffered).toBe(0);
  });

  it("keeps an incomplete frame until the rest comes, and forgets it on reset", () => {
    const reader = new MbapReader();
    expect(collect(reader, [Buffer.concat([A, B.subarray(0, 8)])]).seen).toHaveLength(1);
    expect(reader.buffered).toBe(8);
    reader.reset();
    expect(reader.buffered).toBe(0);
    expect(collect(reader, [C]).seen.map((s) => s.tid)).toEqual([65535]);
  });

  it("a protocol id other than 0, or a length out of range, breaks the stream", () => {
    const badProto = Buffer.from(A);
    badProto.writeUInt16BE(7, 2);
    expect(collect(new MbapReader(), [badProto]).errors[0]).toMatch(/protocol id 7/);
    const tooLong = Buffer.from(A);
    tooLong.writeUInt16BE(255, 4);
    expect(collect(new MbapReader(), [tooLong]).errors[0]).toMatch(/length 255/);
    const tooShort = Buffer.from(A);
    tooShort.writeUInt16BE(1, 4);
    expect(collect(new MbapReader(), [tooShort]).errors[0]).toMatch(/length 1/);
  });

  it("stops when the handler says so and drops the rest", () => {
    const reader = new MbapReader();
    let calls = 0;
    reader.feed(Buffer.concat([A, B, C.subarray(0, 3)]), () => (calls++, false));
    expect(calls).toBe(1);
    expect(reader.buffered).toBe(0);
  });
});

describe("PDU codec", () => {
  const encode = (r: PduRequest): number[] => {
    const b = Buffer.alloc(requestBytes(r));
    encodeRequest(b, 0, r);
    return [...b];
  };

  it("encodes the eight function codes", () => {
    expect(encode(req({ fc: 1, address: 0x0013, quantity: 19 }))).toEqual([1, 0x00, 0x13, 0x00, 0x13]);
    expect(encode(req({ fc: 4, address: 8, quantity: 1 }))).toEqual([4, 0, 8, 0, 1]);
    expect(encode(req({ fc: 5, address: 0xac, value: 1 }))).toEqual([5, 0, 0xac, 0xff, 0]);
    expect(encode(req({ fc: 5, address: 0xac, value: 0 }))).toEqual([5, 0, 0xac, 0, 0]);
    expect(encode(req({ fc: 6, address: 1, value: 0x0003 }))).toEqual([6, 0, 1, 0, 3]);
    // the example of the specification, 6.11: coils 20..29 = 1100 1101 01
    const bits = [true, false, true, true, false, false, true, true, true, false];
    expect(encode(req({ fc: 15, address: 0x13, quantity: 10, values: bits }))).toEqual([15, 0, 0x13, 0, 0x0a, 2, 0xcd, 0x01]);
    expect(encode(req({ fc: 16, address: 1, quantity: 2, values: [0x000a, 0x0102] }))).toEqual([16, 0, 1, 0, 2, 4, 0, 0x0a, 1, 2]);
  });

  it("checks addresses, quantities and values", () => {
    expect(checkRequest(req({ fc: 3, quantity: 125 }))).toBeUndefined();
    expect(checkRequest(req({ fc: 3, quantity: 126 }))).toMatch(/1\.\.125/);
    expect(checkRequest(req({ fc: 1, quantity: 0 }))).toMatch(/1\.\.2000/);
    expect(checkRequest(req({ fc: 2, address: 65535, quantity: 2 }))).toMatch(/past address 65535/);
    expect(checkRequest(req({ fc: 3, address: 70000 }))).toMatch(/address/);
    expect(checkRequest(req({ fc: 6, value: 1.5 }))).toMatch(/register value/);
    expect(checkRequest(req({ fc: 16, quantity: 2, values: [1, 65536] }))).toMatch(/65536/);
  });

  const decode = (r: PduRequest, pdu: number[]) => decodeResponse(r, Buffer.from(pdu), 0, pdu.length);

  it("decodes answers to reads and checks the echo of writes", () => {
    expect(decode(req({ fc: 1, quantity: 10 }), [1, 2, 0xcd, 0x01])).toEqual([true, false, true, true, false, false, true, true, true, false]);
    expect(decode(req({ fc: 3, quantity: 2 }), [3, 4, 0x12, 0x34, 0xff, 0xff])).toEqual([0x1234, 0xffff]);
    expect(decode(req({ fc: 5, address: 0xac, value: 1 }), [5, 0, 0xac, 0xff, 0])).toBeUndefined();
    expect(decode(req({ fc: 16, address: 1, quantity: 2, values: [1, 2] }), [16, 0, 1, 0, 2])).toBeUndefined();
  });

  it.each([
    ["wrong function", req({ fc: 3, quantity: 1 }), [4, 2, 0, 1]],
    ["byte count off", req({ fc: 3, quantity: 2 }), [3, 2, 0, 1]],
    ["cut short", req({ fc: 3, quantity: 2 }), [3, 4, 0, 1, 0]],
    ["bits byte count off", req({ fc: 2, quantity: 9 }), [2, 1, 0xff]],
    ["write echoes another address", req({ fc: 6, address: 1, value: 3 }), [6, 0, 2, 0, 3]],
    ["write echoes another value", req({ fc: 5, address: 1, value: 1 }), [5, 0, 1, 0, 0]],
    ["write answer too long", req({ fc: 15, address: 1, quantity: 2, values: [true, true] }), [15, 0, 1, 0, 2, 0]],
  ] as [string, PduRequest, number[]][])("%s is a PduError", (_what, r, pdu) => {
    expect(() => decode(r, pdu)).toThrow(PduError);
  });
});
