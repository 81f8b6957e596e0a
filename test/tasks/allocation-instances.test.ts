import { describe, expect, it } from "vitest";
import { LosError } from "../../src/core/errors.js";
import {
  type AllocationInstance,
  assignmentValue,
  generateInstance,
  INSTANCE_FAMILIES,
  validateInstance,
} from "../../src/tasks/allocation-instances.js";

function capacityShare(instance: AllocationInstance): number {
  const capacity = instance.agents.reduce((s, a) => s + a.capacity, 0);
  const meanLoad = instance.load.reduce((s, row) => s + row.reduce((x, l) => x + l, 0) / row.length, 0);
  return capacity / meanLoad;
}

function correlation(xs: number[], ys: number[]): number {
  const mx = xs.reduce((s, x) => s + x, 0) / xs.length;
  const my = ys.reduce((s, y) => s + y, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  xs.forEach((x, i) => {
    const y = ys[i] ?? 0;
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
    syy += (y - my) ** 2;
  });
  return sxy / Math.sqrt(sxx * syy);
}

describe("allocation instances", () => {
  it("gives the same instance for the same seed and another for another seed", () => {
    for (const family of INSTANCE_FAMILIES) {
      const a = generateInstance({ family, agents: 6, tasks: 20, seed: 42 });
      const b = generateInstance({ family, agents: 6, tasks: 20, seed: 42 });
      const c = generateInstance({ family, agents: 6, tasks: 20, seed: 43 });
      expect(b).toEqual(a);
      expect(c.value).not.toEqual(a.value);
    }
  });

  it("makes valid instances in which every task has an agent that can do it", () => {
    for (const family of INSTANCE_FAMILIES) {
      for (let seed = 1; seed <= 10; seed++) {
        const instance = generateInstance({ family, agents: 4, tasks: 15, seed, unable: 0.6 });
        validateInstance(instance);
        expect(instance.agents).toHaveLength(4);
        expect(instance.tasks).toHaveLength(15);
        for (const row of instance.value) expect(row.some((v) => v !== null)).toBe(true);
        for (const task of instance.tasks) expect(task.priority).toBeGreaterThanOrEqual(0);
        for (const task of instance.tasks) expect(task.priority).toBeLessThanOrEqual(9);
      }
    }
  });

  it("gives tight instances less room than uniform ones and correlated values that follow the load", () => {
    const seeds = Array.from({ length: 10 }, (_, i) => i + 1);
    const share = (family: "uniform" | "tight") =>
      seeds.reduce((s, seed) => s + capacityShare(generateInstance({ family, agents: 8, tasks: 40, seed })), 0) / seeds.length;
    expect(share("tight")).toBeLessThan(share("uniform") * 0.75);

    const corr = (family: "uniform" | "correlated") => {
      const instance = generateInstance({ family, agents: 8, tasks: 200, seed: 7 });
      return correlation(instance.load.map((row) => row[0] ?? 0), instance.value.map((row) => Math.max(...row.map((v) => v ?? 0))));
    };
    expect(corr("correlated")).toBeGreaterThan(0.8);
    expect(Math.abs(corr("uniform"))).toBeLessThan(0.3);
  });

  it("ranks priorities by what a task is worth", () => {
    const instance = generateInstance({ family: "uniform", agents: 5, tasks: 30, seed: 3 });
    const best = instance.value.map((row) => Math.max(...row.map((v) => v ?? 0)));
    const top = best.indexOf(Math.max(...best));
    const bottom = best.indexOf(Math.min(...best));
    expect(instance.tasks[top]?.priority).toBe(9);
    expect(instance.tasks[bottom]?.priority).toBe(0);
  });

  it("refuses garbage with LOS_E_ALLOCATION_SOLVER", () => {
    const good = generateInstance({ family: "uniform", agents: 2, tasks: 3, seed: 1 });
    const broken: AllocationInstance[] = [
      { ...good, agents: [] },
      { ...good, agents: [{ id: "a0", capacity: -1 }, { id: "a1", capacity: 5 }] },
      { ...good, agents: [{ id: "a0", capacity: 5 }, { id: "a0", capacity: 5 }] },
      { ...good, value: good.value.slice(1) },
      { ...good, value: [[Number.NaN, 1], ...good.value.slice(1)] },
      { ...good, load: [[1], ...good.load.slice(1)] },
      { ...good, load: [[Number.POSITIVE_INFINITY, 1], ...good.load.slice(1)] },
    ];
    for (const instance of broken) {
      const error = (() => {
        try {
          validateInstance(instance);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(LosError);
      expect((error as LosError).code).toBe("LOS_E_ALLOCATION_SOLVER");
    }
    expect(() => generateInstance({ family: "tight", agents: 0, tasks: 3, seed: 1 })).toThrow(LosError);
  });

  it("values an assignment and says when it breaks a capacity or a skill", () => {
    const instance: AllocationInstance = {
      family: "custom",
      agents: [{ id: "A", capacity: 10 }, { id: "B", capacity: 10 }],
      tasks: [{ id: "t0", priority: 9 }, { id: "t1", priority: 8 }],
      load: [[10, 10], [10, 10]],
      value: [[10, 9], [9, null]],
    };
    expect(assignmentValue(instance, [1, 0])).toEqual({ value: 18, feasible: true });
    expect(assignmentValue(instance, [0, -1])).toEqual({ value: 10, feasible: true });
    expect(assignmentValue(instance, [0, 0]).feasible).toBe(false);
    expect(assignmentValue(instance, [-1, 1]).feasible).toBe(false);
  });
});
