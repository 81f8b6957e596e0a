/**
 * The allocation-quality part of the tasks bench: the contract net's allocation of generated
 * instances against the integer optimum (HiGHS) and, for instances too big to solve exactly, against
 * the LP relaxation's bound. docs/allocation.md explains the model and the ratios.
 */
import { INSTANCE_FAMILIES, generateInstance, type InstanceFamily } from "../src/tasks/allocation-instances.js";
import { auctionAllocation, compareWithOptimum } from "../src/tasks/allocation-auction.js";
import { solveRelaxationBound } from "../src/tasks/allocation-lp.js";
import { round } from "./result.js";

export interface QualityRun {
  family: InstanceFamily;
  agents: number;
  tasks: number;
  instances: number;
  meanRatio: number;
  minRatio: number;
  /** the same with tasks announced by value per unit of load */
  densityMeanRatio: number;
  densityMinRatio: number;
  /** instances whose optimum HiGHS proved within the time limit */
  proved: number;
  meanSolveMs: number;
  meanAuctionMs: number;
}
export interface BoundRun {
  family: InstanceFamily;
  agents: number;
  tasks: number;
  instances: number;
  /** auction / LP-relaxation bound: a lower bound on auction / optimum */
  meanBoundRatio: number;
  minBoundRatio: number;
  /** the same with tasks announced by value per unit of load */
  densityMeanBoundRatio: number;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Auction vs optimum on `instances` generated instances of each family. */
export async function benchQuality(agents: number, tasks: number, instances: number, timeLimitMs: number): Promise<QualityRun[]> {
  const out: QualityRun[] = [];
  for (const family of INSTANCE_FAMILIES) {
    const ratios: number[] = [];
    const densityRatios: number[] = [];
    let proved = 0;
    let solveMs = 0;
    let auctionMs = 0;
    for (let seed = 1; seed <= instances; seed++) {
      const instance = generateInstance({ family, agents, tasks, seed });
      const c = await compareWithOptimum(instance, { solver: { timeLimitMs } });
      ratios.push(c.ratio);
      const density = await auctionAllocation(instance, { order: "density" });
      densityRatios.push(c.optimum.objective > 0 ? density.value / c.optimum.objective : 1);
      if (c.optimum.status === "optimal") proved++;
      solveMs += c.optimum.solveMs;
      auctionMs += c.auction.ms;
    }
    out.push({
      family,
      agents,
      tasks,
      instances,
      meanRatio: round(mean(ratios), 4),
      minRatio: round(Math.min(...ratios), 4),
      densityMeanRatio: round(mean(densityRatios), 4),
      densityMinRatio: round(Math.min(...densityRatios), 4),
      proved,
      meanSolveMs: round(solveMs / instances, 1),
      meanAuctionMs: round(auctionMs / instances, 1),
    });
  }
  return out;
}

/** Larger instances: the auction against the LP relaxation (cheap, and ≥ the optimum). */
export async function benchBound(agents: number, tasks: number, instances: number): Promise<BoundRun[]> {
  const out: BoundRun[] = [];
  for (const family of INSTANCE_FAMILIES) {
    const ratios: number[] = [];
    const densityRatios: number[] = [];
    for (let seed = 1; seed <= instances; seed++) {
      const instance = generateInstance({ family, agents, tasks, seed });
      const { bound } = await solveRelaxationBound(instance);
      const ratio = async (order: "priority" | "density") => (bound > 0 ? (await auctionAllocation(instance, { order })).value / bound : 1);
      ratios.push(await ratio("priority"));
      densityRatios.push(await ratio("density"));
    }
    out.push({
      family,
      agents,
      tasks,
      instances,
      meanBoundRatio: round(mean(ratios), 4),
      minBoundRatio: round(Math.min(...ratios), 4),
      densityMeanBoundRatio: round(mean(densityRatios), 4),
    });
  }
  return out;
}
