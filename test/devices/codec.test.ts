import { describe, expect, it } from "vitest";
import { isLosError } from "../../src/core/errors.js";
import type { DataType, ModbusPointDef } from "../../src/config/profile-schema.js";
import {
  decodeBit,
  decodeFromBlock,
  decodeRaw,
  decodeRegisters,
  encodeBoolRegister,
  encodeRegisters,
  registerCount,
  resolvePoint,
  toRaw,
  type Order,
} from "../../src/devices/codec.js";

function pt(over: Partial<ModbusPointDef> = {}): ModbusPointDef {
  return { name: "p", register: "holding", address: 0, ...over };
}

function codecError(fn: () => unknown): boolean {
  try {
    fn();
  } catch (err) {
    return isLosError(err, "LOS_E_CODEC");
  }
  return false;
}

const ORDERS: [string, Order, Order][] = [
  ["ABCD", "big", "big"],
  ["CDAB", "big", "little"],
  ["BADC", "little", "big"],
  ["DCBA", "little", "little"],
];

describe("register counts", () => {
  it.each<[DataType, number]>([
    ["bool", 1],
    ["int16", 1],
    ["uint16", 1],
    ["int32", 2],
    ["uint32", 2],
    ["float32", 2],
    ["float64", 4],
  ])("%s takes %i register(s)", (type, n) => {
    expect(registerCount(type)).toBe(n);
    if (type !== "bool") expect(resolvePoint(pt({ type })).count).toBe(n);
  });

  it("bits count one whatever the kind", () => {
    expect(resolvePoint(pt({ register: "coil" })).count).toBe(1);
    expect(resolvePoint(pt({ register: "discrete" })).count).toBe(1);
    expect(resolvePoint(pt({ type: "bool", bit: 4 })).count).toBe(1);
  });
});

describe("known vectors in the four orders", () => {
  // float32 123.456 = 0x42F6E979: bytes A=42 B=F6 C=E9 D=79
  const float32Words: Record<string, number[]> = {
    ABCD: [0x42f6, 0xe979],
    CDAB: [0xe979, 0x42f6],
    BADC: [0xf642, 0x79e9],
    DCBA: [0x79e9, 0xf642],
  };
  // uint32 0x12345678
  const uint32Words: Record<string, number[]> = {
    ABCD: [0x1234, 0x5678],
    CDAB: [0x5678, 0x1234],
    BADC: [0x3412, 0x7856],
    DCBA: [0x7856, 0x3412],
  };
  // float64 123.456 = 0x405EDD2F1A9FBE77
  const float64Words: Record<string, number[]> = {
    ABCD: [0x405e, 0xdd2f, 0x1a9f, 0xbe77],
    CDAB: [0xbe77, 0x1a9f, 0xdd2f, 0x405e],
    BADC: [0x5e40, 0x2fdd, 0x9f1a, 0x77be],
    DCBA: [0x77be, 0x9f1a, 0x2fdd, 0x5e40],
  };

  it.each(ORDERS)("float32 123.456 as %s", (name, byteOrder, wordOrder) => {
    const p = resolvePoint(pt({ type: "float32", byteOrder, wordOrder }));
    expect(encodeRegisters(p, 123.456)).toEqual(float32Words[name]);
    expect(decodeRegisters(p, float32Words[name]!)).toBe(Math.fround(123.456));
  });

  it.each(ORDERS)("uint32 0x12345678 as %s", (name, byteOrder, wordOrder) => {
    const p = resolvePoint(pt({ type: "uint32", byteOrder, wordOrder }));
    expect(encodeRegisters(p, 0x12345678)).toEqual(uint32Words[name]);
    expect(decodeRegisters(p, uint32Words[name]!)).toBe(0x12345678);
  });

  it.each(ORDERS)("float64 123.456 as %s", (name, byteOrder, wordOrder) => {
    const p = resolvePoint(pt({ type: "float64", byteOrder, wordOrder }));
    expect(encodeRegisters(p, 123.456)).toEqual(float64Words[name]);
    expect(decodeRegisters(p, float64Words[name]!)).toBe(123.456);
  });

  it("int32 -2 and int16 -12345", () => {
    expect(encodeRegisters(resolvePoint(pt({ type: "int32" })), -2)).toEqual([0xffff, 0xfffe]);
    expect(decodeRegisters(resolvePoint(pt({ type: "int32" })), [0xffff, 0xfffe])).toBe(-2);
    expect(decodeRegisters(resolvePoint(pt({ type: "int32", wordOrder: "little" })), [0xfffe, 0xffff])).toBe(-2);
    expect(encodeRegisters(resolvePoint(pt({ type: "int16" })), -12345)).toEqual([0xcfc7]);
    expect(decodeRegisters(resolvePoint(pt({ type: "int16" })), [0xcfc7])).toBe(-12345);
    expect(decodeRegisters(resolvePoint(pt({ type: "uint16" })), [0xcfc7])).toBe(0xcfc7);
  });

  it("16-bit types honour byte order; word order does not apply", () => {
    const p = resolvePoint(pt({ type: "uint16", byteOrder: "little", wordOrder: "little" }));
    expect(encodeRegisters(p, 0x1234)).toEqual([0x3412]);
    expect(decodeRegisters(p, [0x3412])).toBe(0x1234);
    expect(decodeRegisters(resolvePoint(pt({ type: "int16", byteOrder: "little" })), [0xfeff])).toBe(-2);
  });

  it("profile defaults apply when the point has no order of its own", () => {
    const p = resolvePoint(pt({ type: "uint32" }), { wordOrder: "little" });
    expect(p.wordOrder).toBe("little");
    expect(decodeRegisters(p, [0x5678, 0x1234])).toBe(0x12345678);
    const own = resolvePoint(pt({ type: "uint32", wordOrder: "big" }), { wordOrder: "little" });
    expect(decodeRegisters(own, [0x1234, 0x5678])).toBe(0x12345678);
  });
});

describe("round trips over every type and order", () => {
  const samples: Record<Exclude<DataType, "bool">, number[]> = {
    int16: [-32768, -1, 0, 1, 32767],
    uint16: [0, 1, 0x8000, 0xffff],
    int32: [-2147483648, -70000, 0, 70000, 2147483647],
    uint32: [0, 1, 0x80000000, 0xffffffff],
    float32: [0, -1.5, 3.25, Math.fround(1e30), Math.fround(-123.456)],
    float64: [0, -1.5, Math.PI, 1e300, -123.456789],
  };
  for (const [type, values] of Object.entries(samples) as [Exclude<DataType, "bool">, number[]][]) {
    it.each(ORDERS)(`${type} as %s`, (_n, byteOrder, wordOrder) => {
      const p = resolvePoint(pt({ type, byteOrder, wordOrder }));
      for (const v of values) {
        const words = encodeRegisters(p, v);
        expect(words).toHaveLength(p.count);
        for (const w of words) expect(w >= 0 && w <= 0xffff).toBe(true);
        expect(decodeRegisters(p, words)).toBe(v);
      }
    });
  }

  it("decodes at an offset inside a longer block", () => {
    const p = resolvePoint(pt({ type: "float32", address: 12 }));
    const block = [0, 0, 0x42f6, 0xe979, 7];
    expect(decodeFromBlock(p, block, 10)).toBe(Math.fround(123.456));
    expect(decodeRaw(resolvePoint(pt({ type: "uint16" })), block, 4)).toBe(7);
  });

  it("a block too short is a codec error", () => {
    const p = resolvePoint(pt({ type: "float32" }));
    expect(codecError(() => decodeRegisters(p, [0x42f6]))).toBe(true);
    expect(codecError(() => decodeBit(resolvePoint(pt({ register: "coil" })), [], 0))).toBe(true);
  });
});

describe("scale and offset", () => {
  it("engineering = raw * scale + offset, rounded to the scale's decimals", () => {
    const t = resolvePoint(pt({ type: "int16", scale: 0.1 }));
    expect(decodeRegisters(t, [235])).toBe(23.5);
    expect(decodeRegisters(t, [0xffff])).toBe(-0.1);
    expect(decodeRegisters(resolvePoint(pt({ type: "uint16", scale: 0.1, offset: -40 })), [650])).toBe(25);
    expect(decodeRegisters(resolvePoint(pt({ type: "uint16", scale: 0.01 })), [12345])).toBe(123.45);
    expect(decodeRegisters(resolvePoint(pt({ type: "uint16", scale: 10 })), [7])).toBe(70);
  });

  it("the inverse on write, rounding integer types to the nearest raw", () => {
    const t = resolvePoint(pt({ type: "uint16", scale: 0.1, offset: -40 }));
    expect(encodeRegisters(t, 25)).toEqual([650]);
    expect(toRaw(resolvePoint(pt({ type: "int16", scale: 0.1 })), 23.46)).toBe(235);
    expect(toRaw(resolvePoint(pt({ type: "int16", scale: 0.1 })), -23.44)).toBe(-234);
    // floats keep fractions
    expect(toRaw(resolvePoint(pt({ type: "float32", scale: 2 })), 3)).toBe(1.5);
  });

  it("range checks the raw value of the type", () => {
    expect(codecError(() => encodeRegisters(resolvePoint(pt({ type: "uint16" })), 65536))).toBe(true);
    expect(codecError(() => encodeRegisters(resolvePoint(pt({ type: "uint16" })), -1))).toBe(true);
    expect(codecError(() => encodeRegisters(resolvePoint(pt({ type: "int16" })), -32769))).toBe(true);
    expect(codecError(() => encodeRegisters(resolvePoint(pt({ type: "int16", scale: 0.1 })), 3276.8))).toBe(true);
    expect(encodeRegisters(resolvePoint(pt({ type: "int16", scale: 0.1 })), 3276.7)).toEqual([0x7fff]);
    expect(codecError(() => encodeRegisters(resolvePoint(pt({ type: "uint32" })), 2 ** 32))).toBe(true);
    expect(codecError(() => encodeRegisters(resolvePoint(pt({ type: "int32" })), -(2 ** 31) - 1))).toBe(true);
    expect(codecError(() => encodeRegisters(resolvePoint(pt({ type: "float32" })), 1e39))).toBe(true);
  });

  it("refuses non-numbers and non-finite numbers", () => {
    const p = resolvePoint(pt({ type: "float64" }));
    expect(codecError(() => encodeRegisters(p, Number.NaN))).toBe(true);
    expect(codecError(() => encodeRegisters(p, Infinity))).toBe(true);
    expect(codecError(() => encodeRegisters(p, "1"))).toBe(true);
    expect(codecError(() => encodeRegisters(p, true))).toBe(true);
  });
});

describe("bits", () => {
  it("coils and discrete inputs decode their bit", () => {
    const c = resolvePoint(pt({ register: "coil", address: 3 }));
    expect(decodeFromBlock(c, [false, false, false, true], 0)).toBe(true);
    expect(decodeFromBlock(resolvePoint(pt({ register: "discrete", address: 1 })), [true, false], 0)).toBe(false);
  });

  it("bit fields inside a register", () => {
    const b3 = resolvePoint(pt({ type: "bool", bit: 3 }));
    expect(decodeRegisters(b3, [0x0008])).toBe(true);
    expect(decodeRegisters(b3, [0xfff7])).toBe(false);
    const b15 = resolvePoint(pt({ register: "input", type: "bool", bit: 15 }));
    expect(decodeRegisters(b15, [0x8000])).toBe(true);
    // byte order little: logical bit 3 is raw bit 11
    const le = resolvePoint(pt({ type: "bool", bit: 3, byteOrder: "little" }));
    expect(decodeRegisters(le, [0x0800])).toBe(true);
    expect(decodeRegisters(le, [0x0008])).toBe(false);
  });

  it("bool on a register without a bit is non-zero", () => {
    const p = resolvePoint(pt({ type: "bool" }));
    expect(decodeRegisters(p, [0])).toBe(false);
    expect(decodeRegisters(p, [2])).toBe(true);
    expect(encodeBoolRegister(p, true)).toBe(1);
    expect(encodeBoolRegister(p, false)).toBe(0);
  });

  it("encodes a bit into the current register (read-modify-write)", () => {
    const b3 = resolvePoint(pt({ type: "bool", bit: 3 }));
    expect(encodeBoolRegister(b3, true, 0x0100)).toBe(0x0108);
    expect(encodeBoolRegister(b3, false, 0xffff)).toBe(0xfff7);
    expect(encodeBoolRegister(b3, 1, 0)).toBe(0x0008);
    const le = resolvePoint(pt({ type: "bool", bit: 3, byteOrder: "little" }));
    expect(encodeBoolRegister(le, true, 0)).toBe(0x0800);
    expect(codecError(() => encodeBoolRegister(b3, 2, 0))).toBe(true);
    expect(codecError(() => encodeBoolRegister(b3, "on", 0))).toBe(true);
  });
});

describe("profile shapes the codec refuses", () => {
  const invalid = (def: ModbusPointDef) => {
    try {
      resolvePoint(def);
    } catch (err) {
      return isLosError(err, "LOS_E_PROFILE_INVALID");
    }
    return false;
  };
  it("numeric types on bits, bits on coils, bits on numeric types, writable inputs, zero scale", () => {
    expect(invalid(pt({ register: "coil", type: "int16" }))).toBe(true);
    expect(invalid(pt({ register: "coil", bit: 2 }))).toBe(true);
    expect(invalid(pt({ type: "uint16", bit: 2 }))).toBe(true);
    expect(invalid(pt({ register: "input", writable: true }))).toBe(true);
    expect(invalid(pt({ register: "discrete", writable: true }))).toBe(true);
    expect(invalid(pt({ scale: 0 }))).toBe(true);
    expect(invalid(pt({ type: "float64", address: 65533 }))).toBe(true);
  });
  it("defaults: bool for bits, uint16 for registers, big/big", () => {
    expect(resolvePoint(pt({ register: "coil" })).type).toBe("bool");
    expect(resolvePoint(pt({ register: "input", bit: 2 })).type).toBe("bool");
    const r = resolvePoint(pt());
    expect([r.type, r.byteOrder, r.wordOrder, r.scale, r.offset]).toEqual(["uint16", "big", "big", 1, 0]);
  });
});
