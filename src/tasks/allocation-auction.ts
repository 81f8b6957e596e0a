/**
 * The contract-net allocation of an allocation instance, through the real engine (contract-net.ts):
 * tasks are announced one at a time, highest priority first (ties: the task worth most first); every
 * agent bids what the task is worth to it while it still has room for it (objective max); the best
 * bid wins and the winner's capacity shrinks. compareWithOptimum sets the result beside the integer
 * program's optimum (allocation-lp.ts): the ratio is what the greedy, myopic auction achieves.
 */
import { type Clock, systemClock } from "../core/clock.js";
import type { AuctionOptions, BidOffer, CallForProposals, PriceRule, TaskAward, TaskAwardReply, TaskOutcome } from "../core/task-types.js";
import { type AllocationInstance, assignmentValue, validateInstance } from "./allocation-instances.js";
import { type AllocationSolution, type SolveOptions, solveAllocation } from "./allocation-lp.js";
import { ContractNet } from "./contract-net.js";
import type { TaskParticipant } from "./contracts.js";

const TASK_TYPE = "allocate";

export interface AuctionAllocationOptions {
  clock?: Clock;
  rule?: PriceRule;
  /** bidders answer at once, so a round closes as soon as all have answered; this only bounds it */
  bidWindowMs?: number;
  confirmMs?: number;
  /** announce order: `priority` (the creator's, default) or `density` (best value per unit of load first) */
  order?: AnnounceOrder;
}

export type AnnounceOrder = "priority" | "density";

export interface AuctionAllocation {
  /** task index → agent index, -1 where no agent bid */
  assignment: number[];
  value: number;
  allocated: number;
  /** what the winners are paid (first-price: their bids; second-price: the runner-up's) */
  payments: number;
  /** calls for proposals made (one per task) */
  rounds: number;
  bids: number;
  ms: number;
}

export interface AllocationComparison {
  auction: AuctionAllocation;
  optimum: AllocationSolution;
  /** auction value / optimum (1 when the optimum is 0) */
  ratio: number;
  /** auction value / LP-relaxation bound: a guaranteed lower bound on the true ratio */
  boundRatio?: number;
}

/** Allocate `instance` by contract net, one task per round. */
export async function auctionAllocation(instance: AllocationInstance, options: AuctionAllocationOptions = {}): Promise<AuctionAllocation> {
  validateInstance(instance);
  const clock = options.clock ?? systemClock;
  const net = new ContractNet({ clock });
  const bidders = instance.agents.map((agent, a) => new InstanceBidder(instance, a, agent.id));
  const auction: AuctionOptions = {
    objective: "max",
    rule: options.rule ?? "first-price",
    bidWindowMs: options.bidWindowMs ?? 1000,
    confirmMs: options.confirmMs ?? 1000,
    maxRounds: 1,
  };
  const started = performance.now();
  const assignment = instance.tasks.map(() => -1);
  let payments = 0;
  let bids = 0;
  let attempt = 1;
  for (const t of announceOrder(instance, options.order)) {
    const task = instance.tasks[t];
    if (!task) continue;
    const outcome = await net.run({
      task: { id: task.id, type: TASK_TYPE, requires: [], params: { index: t }, priority: task.priority, leaseMs: 1000 },
      options: auction,
      participants: bidders,
      round: 1,
      attempt,
    });
    attempt += outcome.tried.length;
    bids += outcome.round.bids.length;
    if (outcome.kind !== "awarded") continue;
    assignment[t] = instance.agents.findIndex((agent) => agent.id === outcome.winner);
    payments += outcome.price;
  }
  const { value } = assignmentValue(instance, assignment);
  return { assignment, value, allocated: assignment.filter((a) => a >= 0).length, payments, rounds: instance.tasks.length, bids, ms: performance.now() - started };
}

/** The auction's allocation beside the optimum of the integer program. */
export async function compareWithOptimum(
  instance: AllocationInstance,
  options: AuctionAllocationOptions & { solver?: SolveOptions } = {},
): Promise<AllocationComparison> {
  const auction = await auctionAllocation(instance, options);
  const optimum = await solveAllocation(instance, options.solver ?? {});
  const comparison: AllocationComparison = { auction, optimum, ratio: optimum.objective > 0 ? auction.value / optimum.objective : 1 };
  if (optimum.bound !== undefined) comparison.boundRatio = optimum.bound > 0 ? auction.value / optimum.bound : 1;
  return comparison;
}

/**
 * priority: highest priority first, among equals the task worth most to its best agent;
 * density: the best value per unit of capacity first (the classic greedy for knapsacks). Then as given.
 */
export function announceOrder(instance: AllocationInstance, order: AnnounceOrder = "priority"): number[] {
  const best = instance.value.map((row) => Math.max(0, ...row.map((v) => v ?? 0)));
  const density = instance.value.map((row, t) =>
    Math.max(0, ...row.map((v, a) => (v === null ? 0 : v / Math.max(1e-9, instance.load[t]?.[a] ?? 0)))),
  );
  const key = (t: number): number => (order === "density" ? (density[t] ?? 0) : (instance.tasks[t]?.priority ?? 0));
  return instance.tasks
    .map((_, t) => t)
    .sort((x, y) => key(y) - key(x) || (best[y] ?? 0) - (best[x] ?? 0) || x - y);
}

/** One agent of the instance: bids the task's value to it while the task fits in what is left. */
class InstanceBidder implements TaskParticipant {
  readonly id: string;
  readonly tenant = undefined;
  #instance: AllocationInstance;
  #agent: number;
  #left: number;
  /** confirmed awards (task index by attempt) so a withdrawn award gives the room back */
  #held = new Map<number, number>();

  constructor(instance: AllocationInstance, agent: number, id: string) {
    this.#instance = instance;
    this.#agent = agent;
    this.id = id;
    this.#left = instance.agents[agent]?.capacity ?? 0;
  }

  skills(): readonly string[] {
    return [TASK_TYPE];
  }

  propose(cfp: CallForProposals): Promise<BidOffer | undefined> {
    const t = taskIndex(cfp.params);
    return Promise.resolve(this.#fits(t) ? { value: this.#instance.value[t]?.[this.#agent] ?? 0 } : undefined);
  }

  award(award: TaskAward): Promise<TaskAwardReply> {
    const t = taskIndex(award.params);
    if (!this.#fits(t)) return Promise.resolve({ accept: false, reason: "no room left" });
    this.#left -= this.#instance.load[t]?.[this.#agent] ?? 0;
    this.#held.set(award.attempt, t);
    return Promise.resolve({ accept: true });
  }

  run(): Promise<TaskOutcome> {
    return Promise.resolve({ ok: true });
  }

  cancel(_taskId: string, attempt: number): Promise<void> {
    const t = this.#held.get(attempt);
    if (t !== undefined) {
      this.#held.delete(attempt);
      this.#left += this.#instance.load[t]?.[this.#agent] ?? 0;
    }
    return Promise.resolve();
  }

  #fits(t: number): boolean {
    const value = this.#instance.value[t]?.[this.#agent];
    const load = this.#instance.load[t]?.[this.#agent];
    return value !== null && value !== undefined && load !== undefined && load <= this.#left + 1e-9;
  }
}

function taskIndex(params: Record<string, unknown>): number {
  const index = params["index"];
  return typeof index === "number" ? index : -1;
}
