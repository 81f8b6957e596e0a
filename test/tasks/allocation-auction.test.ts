import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { type AllocationInstance, assignmentValue, generateInstance, INSTANCE_FAMILIES } from "../../src/tasks/allocation-instances.js";
import { announceOrder, auctionAllocation, compareWithOptimum } from "../../src/tasks/allocation-auction.js";

/** Greedy by value gives A the first task and leaves the second undone (10); the optimum is 18. */
const TRAP: AllocationInstance = {
  family: "custom",
  agents: [{ id: "A", capacity: 10 }, { id: "B", capacity: 10 }],
  tasks: [{ id: "t0", priority: 9 }, { id: "t1", priority: 8 }],
  load: [[10, 10], [10, 10]],
  value: [[10, 9], [9, null]],
};

describe("contract-net allocation of an instance", () => {
  it("announces by priority and awards each task to the best bid that still fits", async () => {
    const result = await auctionAllocation(TRAP);
    expect(result).toMatchObject({ assignment: [0, -1], value: 10, allocated: 1, payments: 10, rounds: 2, bids: 2 });

    const comparison = await compareWithOptimum(TRAP, { solver: { withBound: true } });
    expect(comparison.optimum.objective).toBe(18);
    expect(comparison.ratio).toBeCloseTo(10 / 18, 9);
    expect(comparison.boundRatio).toBeCloseTo(10 / 18, 6);
  });

  it("charges the runner-up's bid under the second-price rule, with the same allocation", async () => {
    const three: AllocationInstance = {
      family: "custom",
      agents: [{ id: "A", capacity: 10 }, { id: "B", capacity: 6 }],
      tasks: [{ id: "t0", priority: 9 }, { id: "t1", priority: 5 }, { id: "t2", priority: 1 }],
      load: [[6, 6], [5, 5], [4, 4]],
      value: [[10, 8], [7, 6], [6, null]],
    };
    const first = await auctionAllocation(three);
    const second = await auctionAllocation(three, { rule: "second-price" });
    expect(first.assignment).toEqual([0, 1, 0]);
    expect(second.assignment).toEqual(first.assignment);
    expect(first.payments).toBe(10 + 6 + 6);
    // t0: B's 8; t1: A has no room, B alone (pays its own bid); t2: A alone
    expect(second.payments).toBe(8 + 6 + 6);
  });

  it("never beats the optimum and stays feasible on generated instances", async () => {
    for (const family of INSTANCE_FAMILIES) {
      for (let seed = 1; seed <= 2; seed++) {
        const instance = generateInstance({ family, agents: 3, tasks: 7, seed });
        const { auction, optimum, ratio } = await compareWithOptimum(instance);
        expect(optimum.status).toBe("optimal");
        expect(assignmentValue(instance, auction.assignment)).toEqual({ value: auction.value, feasible: true });
        expect(auction.value).toBeLessThanOrEqual(optimum.objective);
        expect(ratio).toBeGreaterThan(0);
        expect(ratio).toBeLessThanOrEqual(1);
        expect(ratio).toBeCloseTo(auction.value / optimum.objective, 12);
        expect(auction.rounds).toBe(7);
      }
    }
  });

  it("runs on a ManualClock: every bidder answers, so no round waits for its window", async () => {
    const clock = new ManualClock();
    const instance = generateInstance({ family: "tight", agents: 4, tasks: 10, seed: 5 });
    const manual = await auctionAllocation(instance, { clock });
    const real = await auctionAllocation(instance);
    expect(manual.assignment).toEqual(real.assignment);
    expect(clock.now()).toBe(new ManualClock().now());
  });

  it("orders announcements by priority, then by the best value", () => {
    const instance: AllocationInstance = {
      family: "custom",
      agents: [{ id: "A", capacity: 1 }],
      tasks: [{ id: "low", priority: 1 }, { id: "high-cheap", priority: 7 }, { id: "high-dear", priority: 7 }],
      load: [[1], [1], [1]],
      value: [[50], [5], [9]],
    };
    expect(announceOrder(instance)).toEqual([2, 1, 0]);
  });

  it("announces by value per unit of load with the density order, and does better on the trap", async () => {
    const instance: AllocationInstance = {
      family: "custom",
      agents: [{ id: "A", capacity: 10 }],
      tasks: [{ id: "big", priority: 9 }, { id: "small1", priority: 1 }, { id: "small2", priority: 1 }],
      load: [[10], [5], [5]],
      value: [[12], [7], [7]],
    };
    expect(announceOrder(instance, "density")).toEqual([1, 2, 0]);
    expect((await auctionAllocation(instance)).value).toBe(12);
    expect((await auctionAllocation(instance, { order: "density" })).value).toBe(14);
  });
});
