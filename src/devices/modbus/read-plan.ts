/**
 * Read plan: merge the points due on one unit id into as few read requests as the protocol allows.
 * Points of the same register kind whose addresses are adjacent or near (a gap of at most `maxGap`
 * unused registers) share one block, as long as the block stays within `maxBlock` registers
 * (125 at most for FC3/FC4) or `maxBits` bits (2000 at most for FC1/FC2). A plan is computed once per
 * set of points and reused every cycle; `sliceBlock` decodes a block's data back into values.
 */
import type { RegisterKind } from "../../config/profile-schema.js";
import type { Value } from "../../core/types.js";
import { decodeFromBlock, isBitKind, type CodecPoint } from "../codec.js";

export const MAX_READ_REGISTERS = 125;
export const MAX_READ_BITS = 2000;

export interface ReadBlock {
  kind: RegisterKind;
  /** first address of the request */
  address: number;
  /** registers (input/holding) or bits (coil/discrete) requested */
  count: number;
}

export interface PlannedBlock extends ReadBlock {
  /** indexes (into the planned point array) of the points this block carries */
  points: number[];
}

export interface ReadPlan {
  blocks: PlannedBlock[];
}

export interface ReadPlanOptions {
  /** unused registers allowed inside one block (default 8); bits use maxGap * 16 */
  maxGap?: number;
  /** registers per request, capped at 125 */
  maxBlock?: number;
  /** bits per request, capped at 2000 */
  maxBits?: number;
  /** false: one request per point (for comparison benchmarks) */
  merge?: boolean;
}

export const DEFAULT_MAX_GAP = 8;

const KIND_ORDER: Record<RegisterKind, number> = { coil: 0, discrete: 1, input: 2, holding: 3 };

/**
 * Build a plan for `points` (all on the same unit id). `subset` restricts it to some indexes; the
 * indexes in the blocks always refer to `points`.
 */
export function buildReadPlan(points: readonly CodecPoint[], options: ReadPlanOptions = {}, subset?: readonly number[]): ReadPlan {
  const idx = subset ? [...subset] : points.map((_, i) => i);
  idx.sort((a, b) => {
    const pa = points[a]!;
    const pb = points[b]!;
    return KIND_ORDER[pa.register] - KIND_ORDER[pb.register] || pa.address - pb.address || pb.count - pa.count;
  });
  const merge = options.merge !== false;
  const maxGap = Math.max(0, options.maxGap ?? DEFAULT_MAX_GAP);
  const maxRegs = Math.min(MAX_READ_REGISTERS, Math.max(1, options.maxBlock ?? MAX_READ_REGISTERS));
  const maxBits = Math.min(MAX_READ_BITS, Math.max(1, options.maxBits ?? MAX_READ_BITS));
  const blocks: PlannedBlock[] = [];
  let cur: PlannedBlock | undefined;
  for (const i of idx) {
    const p = points[i]!;
    const bits = isBitKind(p.register);
    const end = p.address + p.count; // exclusive
    if (merge && cur && cur.kind === p.register) {
      const curEnd = cur.address + cur.count;
      const gap = p.address - curEnd;
      const newCount = Math.max(curEnd, end) - cur.address;
      if (gap <= (bits ? maxGap * 16 : maxGap) && newCount <= (bits ? maxBits : maxRegs)) {
        cur.count = newCount;
        cur.points.push(i);
        continue;
      }
    }
    cur = { kind: p.register, address: p.address, count: p.count, points: [i] };
    blocks.push(cur);
  }
  return { blocks };
}

/** Total number of points a plan carries. */
export function planPointCount(plan: ReadPlan): number {
  let n = 0;
  for (const b of plan.blocks) n += b.points.length;
  return n;
}

/**
 * Decode every point of `block` from its data into `out[pointIndex]`. A point whose value cannot be
 * decoded gets an Error in `errors[pointIndex]` instead (the rest of the block is still used).
 */
export function sliceBlock(
  block: PlannedBlock,
  data: ArrayLike<number> | ArrayLike<boolean>,
  points: readonly CodecPoint[],
  out: (Value | null)[],
  errors: (Error | undefined)[],
): void {
  for (let k = 0; k < block.points.length; k++) {
    const i = block.points[k]!;
    try {
      out[i] = decodeFromBlock(points[i]!, data, block.address);
      errors[i] = undefined;
    } catch (err) {
      out[i] = null;
      errors[i] = err as Error;
    }
  }
}
