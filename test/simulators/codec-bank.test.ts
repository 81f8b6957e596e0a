import { describe, expect, it } from "vitest";
import { appendCrc, crc16Modbus, hasValidCrc } from "../../simulators/modbus/crc16.js";
import { decodeValue, encodeValue } from "../../simulators/modbus/value-codec.js";
import { RegisterBank } from "../../simulators/modbus/register-bank.js";

describe("crc16", () => {
  it("matches the CRC-16/MODBUS check value and a known request frame", () => {
    expect(crc16Modbus(Buffer.from("123456789"))).toBe(0x4b37);
    // 01 03 00 00 00 0A -> CRC C5 CD (low byte first)
    const frame = appendCrc(Buffer.from([0x01, 0x03, 0x00, 0x00, 0x00, 0x0a]));
    expect([...frame.subarray(6)]).toEqual([0xc5, 0xcd]);
    expect(hasValidCrc(frame)).toBe(true);
    frame[2] = 1;
    expect(hasValidCrc(frame)).toBe(false);
  });
});

describe("value codec", () => {
  it("encodes every type in both word orders and decodes it back", () => {
    expect(encodeValue("int16", -2)).toEqual([0xfffe]);
    expect(encodeValue("uint32", 0x12345678)).toEqual([0x1234, 0x5678]);
    expect(encodeValue("uint32", 0x12345678, { wordOrder: "little" })).toEqual([0x5678, 0x1234]);
    expect(encodeValue("uint16", 0x1234, { byteOrder: "little" })).toEqual([0x3412]);
    expect(encodeValue("float32", 1)).toEqual([0x3f80, 0x0000]);
    const cases: Array<[Parameters<typeof encodeValue>[0], number]> = [
      ["int16", -1234],
      ["uint16", 65535],
      ["int32", -123456789],
      ["uint32", 4000000000],
      ["float32", 21.5],
      ["float64", Math.PI],
    ];
    for (const [type, value] of cases) {
      for (const wordOrder of ["big", "little"] as const) {
        expect(decodeValue(type, encodeValue(type, value, { wordOrder }), { wordOrder })).toBe(value);
      }
    }
  });
});

describe("RegisterBank", () => {
  it("stores bits, words and typed values sparsely across the whole address space", () => {
    const bank = new RegisterBank();
    bank.setBit("coil", 65535, true);
    bank.setWords("holding", 1000, [1, 2, 3]);
    bank.writeValue("input", 10, "float32", 12.5, { wordOrder: "little" });
    bank.setRegisterBit("input", 20, 3, true);
    expect(bank.getBit("coil", 65535)).toBe(true);
    expect(bank.getBits("coil", 65533, 3)).toEqual([false, false, true]);
    expect(bank.getWords("holding", 999, 5)).toEqual([0, 1, 2, 3, 0]);
    expect(bank.readValue("input", 10, "float32", { wordOrder: "little" })).toBe(12.5);
    expect(bank.getWord("input", 20)).toBe(8);
    expect(bank.getRegisterBit("input", 20, 3)).toBe(true);
    expect(() => bank.setWord("holding", 65536, 1)).toThrow(RangeError);
  });

  it("knows which declared addresses exist", () => {
    const bank = new RegisterBank({ ranges: { holding: [{ start: 0, count: 10 }, { start: 10, count: 5 }, { start: 100, count: 1 }] } });
    expect(bank.exists("holding", 0, 15)).toBe(true);
    expect(bank.exists("holding", 14, 2)).toBe(false);
    expect(bank.exists("holding", 100)).toBe(true);
    expect(bank.exists("input", 65535)).toBe(true);
    expect(bank.exists("input", 65535, 2)).toBe(false);
  });

  it("lets a guard refuse client writes and tells listeners about accepted ones", () => {
    const bank = new RegisterBank();
    const seen: unknown[] = [];
    const off = bank.onWrite((kind, address, values) => seen.push([kind, address, values]));
    bank.setWriteGuard((kind, _address, values) => (kind === "holding" && values.some((v) => v > 100) ? 3 : undefined));
    expect(bank.clientWrite("holding", 5, [50, 60])).toBeUndefined();
    expect(bank.clientWrite("holding", 5, [500])).toBe(3);
    expect(bank.clientWrite("coil", 2, [1, 0, 1])).toBeUndefined();
    expect(bank.getWords("holding", 5, 2)).toEqual([50, 60]);
    expect(bank.getBits("coil", 2, 3)).toEqual([true, false, true]);
    expect(seen).toEqual([
      ["holding", 5, [50, 60]],
      ["coil", 2, [1, 0, 1]],
    ]);
    off();
    bank.clientWrite("holding", 0, [1]);
    expect(seen).toHaveLength(2);
  });
});
