import { describe, expect, it } from "vitest";
import { LosError } from "../../src/core/errors.js";
import { type AllocationInstance, assignmentValue, generateInstance, INSTANCE_FAMILIES } from "../../src/tasks/allocation-instances.js";
import { allocationLp, solveAllocation, solveRelaxationBound } from "../../src/tasks/allocation-lp.js";

/** Two agents, two tasks that each fill an agent: greedy by value gives A t0 (10) and nothing else; the optimum is 18. */
const TRAP: AllocationInstance = {
  family: "custom",
  agents: [{ id: "A", capacity: 10 }, { id: "B", capacity: 10 }],
  tasks: [{ id: "t0", priority: 9 }, { id: "t1", priority: 8 }],
  load: [[10, 10], [10, 10]],
  value: [[10, 9], [9, null]],
};

/** Checked by hand: A takes t0 + t2 (load 10, value 16), B takes t1 (6): 22; A t1 + t2 and B t0 give 21. */
const THREE: AllocationInstance = {
  family: "custom",
  agents: [{ id: "A", capacity: 10 }, { id: "B", capacity: 6 }],
  tasks: [{ id: "t0", priority: 9 }, { id: "t1", priority: 5 }, { id: "t2", priority: 1 }],
  load: [[6, 6], [5, 5], [4, 4]],
  value: [[10, 8], [7, 6], [6, null]],
};

/** The best value over every assignment (agents + 1)^tasks: the reference for small instances. */
function bruteForce(instance: AllocationInstance): number {
  const n = instance.agents.length;
  const m = instance.tasks.length;
  let best = 0;
  const assignment = new Array<number>(m).fill(-1);
  const visit = (t: number): void => {
    if (t === m) {
      const { value, feasible } = assignmentValue(instance, assignment);
      if (feasible && value > best) best = value;
      return;
    }
    for (let a = -1; a < n; a++) {
      if (a >= 0 && instance.value[t]?.[a] === null) continue;
      assignment[t] = a;
      visit(t + 1);
    }
    assignment[t] = -1;
  };
  visit(0);
  return best;
}

async function solverError(promise: Promise<unknown>): Promise<LosError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LosError);
  return error as LosError;
}

describe("allocation integer program (HiGHS)", () => {
  it("finds the hand-checked optima", async () => {
    const trap = await solveAllocation(TRAP, { withBound: true });
    expect(trap).toMatchObject({ status: "optimal", solverStatus: "Optimal", objective: 18, assignment: [1, 0], allocated: 2 });
    expect(trap.bound).toBeCloseTo(18, 6);

    const three = await solveAllocation(THREE, { withBound: true });
    expect(three).toMatchObject({ status: "optimal", objective: 22, assignment: [0, 1, 0], allocated: 3 });
    expect(three.bound).toBeGreaterThanOrEqual(22 - 1e-6);
  });

  it("matches brute force on small generated instances of every family", async () => {
    for (const family of INSTANCE_FAMILIES) {
      for (let seed = 1; seed <= 3; seed++) {
        const instance = generateInstance({ family, agents: 3, tasks: 6, seed });
        const solution = await solveAllocation(instance, { withBound: true });
        expect(solution.status).toBe("optimal");
        expect(solution.objective).toBe(bruteForce(instance));
        expect(assignmentValue(instance, solution.assignment)).toEqual({ value: solution.objective, feasible: true });
        expect(solution.bound).toBeGreaterThanOrEqual(solution.objective - 1e-6);
      }
    }
  });

  it("gives an LP bound alone that is at least the optimum", async () => {
    const instance = generateInstance({ family: "tight", agents: 3, tasks: 6, seed: 9 });
    const { bound } = await solveRelaxationBound(instance);
    expect(bound).toBeGreaterThanOrEqual(bruteForce(instance) - 1e-6);
  });

  it("writes LP text with binaries only for pairs an agent can do", () => {
    const lp = allocationLp(TRAP, { assignAll: false, relax: false });
    expect(lp).toContain("Binaries");
    expect(lp).toMatch(/x0_0 x0_1 x1_0\n/);
    expect(lp).not.toContain("x1_1");
    const relaxed = allocationLp(TRAP, { assignAll: true, relax: true });
    expect(relaxed).not.toContain("Binaries");
    expect(relaxed).toContain("= 1");
  });

  it("stops at the time limit with the best feasible allocation found, or a coded error when there is none", async () => {
    const instance = generateInstance({ family: "tight", agents: 12, tasks: 60, seed: 11 });
    const { bound } = await solveRelaxationBound(instance);
    const outcome = await solveAllocation(instance, { timeLimitMs: 50 }).then(
      (solution) => ({ solution }),
      (error: unknown) => ({ error }),
    );
    if ("solution" in outcome) {
      expect(["time-limit", "optimal"]).toContain(outcome.solution.status);
      expect(assignmentValue(instance, outcome.solution.assignment)).toEqual({ value: outcome.solution.objective, feasible: true });
      expect(outcome.solution.objective).toBeLessThanOrEqual(bound + 1e-6);
    } else {
      expect(outcome.error).toBeInstanceOf(LosError);
      expect((outcome.error as LosError).code).toBe("LOS_E_ALLOCATION_SOLVER");
      expect((outcome.error as LosError).message).toContain("Time limit reached");
    }
  });

  it("allocates nothing when no agent can do anything", async () => {
    const none: AllocationInstance = { ...TRAP, value: [[null, null], [null, null]] };
    expect(await solveAllocation(none, { withBound: true })).toMatchObject({ objective: 0, assignment: [-1, -1], allocated: 0, bound: 0 });
  });

  it("reports an infeasible instance with LOS_E_ALLOCATION_SOLVER", async () => {
    // both tasks must be done, but together they need 20 and the only agent has 10
    const crowded: AllocationInstance = { ...TRAP, agents: [{ id: "A", capacity: 10 }], load: [[10], [10]], value: [[10], [9]] };
    const error = await solverError(solveAllocation(crowded, { assignAll: true }));
    expect(error.code).toBe("LOS_E_ALLOCATION_SOLVER");
    expect(error.message).toContain("Infeasible");
    // without assignAll the same instance is fine: one task is left out
    expect((await solveAllocation(crowded)).objective).toBe(10);

    const lonely = await solverError(solveAllocation({ ...TRAP, value: [[10, 9], [null, null]] }, { assignAll: true }));
    expect(lonely.code).toBe("LOS_E_ALLOCATION_SOLVER");
    expect(lonely.message).toContain("t1");
  });

  it("refuses a garbage instance before the solver sees it", async () => {
    const error = await solverError(solveAllocation({ ...TRAP, value: [[10, Number.NaN], [9, null]] }));
    expect(error.code).toBe("LOS_E_ALLOCATION_SOLVER");
    expect(error.message).toContain("invalid allocation instance");
  });
});
