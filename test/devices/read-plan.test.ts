import { describe, expect, it } from "vitest";
import type { ModbusPointDef } from "../../src/config/profile-schema.js";
import { resolvePoint, type CodecPoint } from "../../src/devices/codec.js";
import { buildReadPlan, planPointCount, sliceBlock } from "../../src/devices/modbus/read-plan.js";
import type { Value } from "../../src/core/types.js";

function pts(defs: Partial<ModbusPointDef>[]): CodecPoint[] {
  return defs.map((d, i) => resolvePoint({ name: `p${i}`, register: "holding", address: 0, ...d } as ModbusPointDef));
}

function shape(points: CodecPoint[], opts = {}) {
  return buildReadPlan(points, opts).blocks.map((b) => [b.kind, b.address, b.count, b.points]);
}

describe("read plan", () => {
  it("merges adjacent registers into one block and keeps kinds apart", () => {
    const p = pts([
      { address: 0 },
      { address: 1, type: "float32" },
      { address: 3 },
      { register: "input", address: 0 },
      { register: "coil", address: 5 },
      { register: "coil", address: 6 },
      { register: "discrete", address: 0 },
    ]);
    expect(shape(p)).toEqual([
      ["coil", 5, 2, [4, 5]],
      ["discrete", 0, 1, [6]],
      ["input", 0, 1, [3]],
      ["holding", 0, 4, [0, 1, 2]],
    ]);
  });

  it("bridges gaps up to maxGap and splits beyond", () => {
    const p = pts([{ address: 0 }, { address: 5 }, { address: 20 }]);
    expect(shape(p, { maxGap: 4 })).toEqual([
      ["holding", 0, 6, [0, 1]],
      ["holding", 20, 1, [2]],
    ]);
    expect(shape(p, { maxGap: 3 })).toEqual([
      ["holding", 0, 1, [0]],
      ["holding", 5, 1, [1]],
      ["holding", 20, 1, [2]],
    ]);
    expect(shape(p, { maxGap: 14 })).toEqual([["holding", 0, 21, [0, 1, 2]]]);
    expect(shape(p, { maxGap: 0 })).toHaveLength(3);
  });

  it("caps blocks at maxBlock registers (125 at most) and 2000 bits", () => {
    const regs = pts(Array.from({ length: 300 }, (_, i) => ({ address: i })));
    const blocks = buildReadPlan(regs).blocks;
    expect(blocks.map((b) => b.count)).toEqual([125, 125, 50]);
    expect(buildReadPlan(regs, { maxBlock: 500 }).blocks[0]!.count).toBe(125);
    expect(buildReadPlan(regs, { maxBlock: 100 }).blocks.map((b) => b.count)).toEqual([100, 100, 100]);
    const bits = pts(Array.from({ length: 2500 }, (_, i) => ({ register: "coil" as const, address: i })));
    expect(buildReadPlan(bits).blocks.map((b) => b.count)).toEqual([2000, 500]);
    // a 2-register value never straddles the cap
    const f = pts([{ address: 0, type: "uint16" }, { address: 124, type: "float32" }]);
    expect(shape(f, { maxGap: 200 })).toEqual([
      ["holding", 0, 1, [0]],
      ["holding", 124, 2, [1]],
    ]);
  });

  it("overlapping points (bits of one register) share the register", () => {
    const p = pts([
      { address: 10, type: "bool", bit: 0 },
      { address: 10, type: "bool", bit: 7 },
      { address: 10 },
      { address: 11 },
    ]);
    expect(shape(p)).toEqual([["holding", 10, 2, [0, 1, 2, 3]]]);
  });

  it("merge: false gives one request per point", () => {
    const p = pts([{ address: 0 }, { address: 1 }, { address: 2, type: "float32" }]);
    expect(shape(p, { merge: false })).toEqual([
      ["holding", 0, 1, [0]],
      ["holding", 1, 1, [1]],
      ["holding", 2, 2, [2]],
    ]);
  });

  it("plans a subset with indexes into the full array", () => {
    const p = pts([{ address: 0 }, { address: 50 }, { address: 1 }]);
    const plan = buildReadPlan(p, {}, [2, 0]);
    expect(plan.blocks.map((b) => [b.address, b.count, b.points])).toEqual([[0, 2, [0, 2]]]);
    expect(planPointCount(plan)).toBe(2);
  });

  it("slices block data back into values, isolating a point that cannot be decoded", () => {
    const p = pts([{ address: 0, type: "int16", scale: 0.1 }, { address: 2, type: "float32" }, { address: 4, type: "bool", bit: 1 }]);
    const plan = buildReadPlan(p);
    expect(plan.blocks).toHaveLength(1);
    const out: (Value | null)[] = [null, null, null];
    const errors: (Error | undefined)[] = [];
    sliceBlock(plan.blocks[0]!, [235, 9, 0x42f6, 0xe979, 2], p, out, errors);
    expect(out).toEqual([23.5, Math.fround(123.456), true]);
    expect(errors.every((e) => e === undefined)).toBe(true);
    sliceBlock(plan.blocks[0]!, [235, 9, 0x42f6], p, out, errors);
    expect(out[0]).toBe(23.5);
    expect(out[1]).toBeNull();
    expect(errors[1]).toBeInstanceOf(Error);
  });
});
