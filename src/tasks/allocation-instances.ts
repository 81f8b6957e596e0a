/**
 * Allocation instances: n agents with a capacity, m tasks that each use some of an agent's capacity
 * and are worth something to it (a generalised assignment problem). The same instance is solved
 * exactly by the integer program (allocation-lp.ts) and by the contract net (allocation-auction.ts),
 * so the ratio of the two says how much the greedy, one-task-at-a-time auction leaves on the table.
 * Pure data and a seeded generator (the simulators' mulberry32, so a seed gives the same instance
 * everywhere); docs/allocation.md describes the families.
 */
import { Prng } from "../core/prng.js";
import { LosError } from "../core/errors.js";

export interface AllocationAgent {
  id: string;
  /** what the agent can take on in total, in the instance's unit (kW, machine hours) */
  capacity: number;
}

export interface AllocationTask {
  id: string;
  /** 0 … 9: the order in which a contract net announces tasks (higher first) */
  priority: number;
}

export interface AllocationInstance {
  family: InstanceFamily | "custom";
  seed?: number;
  agents: AllocationAgent[];
  tasks: AllocationTask[];
  /** load[t][a]: capacity task t uses on agent a (agents differ in efficiency) */
  load: number[][];
  /** value[t][a]: what task t is worth done by agent a; null where agent a cannot do it (generated values are
   * whole numbers: an integral objective lets the solver close the gap sooner) */
  value: (number | null)[][];
}

/**
 * uniform: loads and values independent (a value says nothing about the work);
 * correlated: value grows with the load (bigger jobs pay more, a shed kW is worth about the same anywhere);
 * tight: uniform, but the agents together can take only about half of the work.
 */
export const INSTANCE_FAMILIES = ["uniform", "correlated", "tight"] as const;
export type InstanceFamily = (typeof INSTANCE_FAMILIES)[number];

export interface GenerateOptions {
  family: InstanceFamily;
  agents: number;
  tasks: number;
  seed: number;
  /** chance that an agent lacks the skill for a task (default 0.2) */
  unable?: number;
}

/** Generates an instance; the same options give the same instance on every machine. */
export function generateInstance(options: GenerateOptions): AllocationInstance {
  const { family, seed } = options;
  const n = options.agents;
  const m = options.tasks;
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(m) || m < 1) {
    throw new LosError("LOS_E_ALLOCATION_SOLVER", `an instance needs ≥ 1 agent and ≥ 1 task (got ${n} agents, ${m} tasks)`);
  }
  const unable = options.unable ?? 0.2;
  const rnd = new Prng(seed);
  // efficiency > 1: the agent does the same work with less of its capacity
  const efficiency = Array.from({ length: n }, () => rnd.uniform(0.8, 1.25));
  const skill = Array.from({ length: n }, () => rnd.uniform(0.85, 1.15));
  const load: number[][] = [];
  const value: (number | null)[][] = [];
  for (let t = 0; t < m; t++) {
    const size = 5 + rnd.int(21);
    const worth = family === "correlated" ? size * rnd.uniform(1.6, 2.4) : rnd.uniform(10, 50);
    const loadRow: number[] = [];
    const valueRow: (number | null)[] = [];
    const able = Array.from({ length: n }, () => rnd.next() >= unable);
    // every task has at least one agent that can do it, or the task says nothing about allocation
    if (!able.includes(true)) able[rnd.int(n)] = true;
    for (let a = 0; a < n; a++) {
      loadRow.push(Math.max(1, Math.round(size / (efficiency[a] ?? 1))));
      const jitter = family === "correlated" ? rnd.uniform(-3, 3) : rnd.uniform(-6, 6);
      valueRow.push(able[a] ? Math.max(1, Math.round(worth * (skill[a] ?? 1) + jitter)) : null);
    }
    load.push(loadRow);
    value.push(valueRow);
  }
  const totalLoad = load.reduce((sum, row) => sum + row.reduce((s, l) => s + l, 0) / n, 0);
  // uniform and correlated: room for ~80 % of the work; tight: ~50 %
  const share = family === "tight" ? 0.5 : 0.8;
  const agents = Array.from({ length: n }, (_, a) => ({
    id: `a${a}`,
    capacity: Math.max(1, Math.round((totalLoad * share * rnd.uniform(0.7, 1.3)) / n)),
  }));
  const tasks = Array.from({ length: m }, (_, t) => ({ id: `t${t}`, priority: 0 }));
  rankPriorities(tasks, value);
  return { family, seed, agents, tasks, load, value };
}

/** A creator marks what matters: priority 9 for the tasks worth most, 0 for the least. */
function rankPriorities(tasks: AllocationTask[], value: (number | null)[][]): void {
  const best = value.map((row) => Math.max(...row.map((v) => v ?? 0)));
  const order = tasks.map((_, t) => t).sort((x, y) => (best[y] ?? 0) - (best[x] ?? 0));
  order.forEach((t, rank) => {
    const task = tasks[t];
    if (task) task.priority = 9 - Math.floor((rank * 10) / tasks.length);
  });
}

/** Checks shapes and numbers; garbage in an instance would otherwise reach the solver as LP text. */
export function validateInstance(instance: AllocationInstance): void {
  const fail = (what: string): never => {
    throw new LosError("LOS_E_ALLOCATION_SOLVER", `invalid allocation instance: ${what}`, { details: { what } });
  };
  const { agents, tasks, load, value } = instance;
  if (!Array.isArray(agents) || !Array.isArray(tasks) || !Array.isArray(load) || !Array.isArray(value)) fail("agents, tasks, load and value must be arrays");
  if (agents.length === 0) fail("no agents");
  if (load.length !== tasks.length || value.length !== tasks.length) fail(`load and value need one row per task (${tasks.length})`);
  const ids = new Set<string>();
  for (const agent of agents) {
    if (typeof agent?.id !== "string" || agent.id === "" || ids.has(agent.id)) fail(`agent id ${JSON.stringify(agent?.id)} missing or repeated`);
    if (!isFiniteNonNegative(agent.capacity)) fail(`agent ${agent.id}: capacity ${agent.capacity} is not a finite number ≥ 0`);
    ids.add(agent.id);
  }
  const taskIds = new Set<string>();
  for (const [t, task] of tasks.entries()) {
    if (typeof task?.id !== "string" || task.id === "" || taskIds.has(task.id)) fail(`task id ${JSON.stringify(task?.id)} missing or repeated`);
    taskIds.add(task.id);
    const loadRow = load[t];
    const valueRow = value[t];
    if (!Array.isArray(loadRow) || loadRow.length !== agents.length) fail(`load row of ${task.id} needs one entry per agent`);
    if (!Array.isArray(valueRow) || valueRow.length !== agents.length) fail(`value row of ${task.id} needs one entry per agent`);
    for (let a = 0; a < agents.length; a++) {
      if (!isFiniteNonNegative(loadRow?.[a])) fail(`load of ${task.id} on agent ${a} is not a finite number ≥ 0`);
      const v = valueRow?.[a];
      if (v !== null && !(typeof v === "number" && Number.isFinite(v))) fail(`value of ${task.id} on agent ${a} is neither a finite number nor null`);
    }
  }
}

/** The total value of an assignment (task index → agent index or -1), and whether it fits. */
export function assignmentValue(instance: AllocationInstance, assignment: readonly number[]): { value: number; feasible: boolean } {
  const used = instance.agents.map(() => 0);
  let total = 0;
  let feasible = true;
  assignment.forEach((a, t) => {
    if (a < 0) return;
    const v = instance.value[t]?.[a];
    if (v === null || v === undefined) {
      feasible = false;
      return;
    }
    total += v;
    used[a] = (used[a] ?? 0) + (instance.load[t]?.[a] ?? 0);
  });
  instance.agents.forEach((agent, a) => {
    if ((used[a] ?? 0) > agent.capacity + 1e-9) feasible = false;
  });
  return { value: total, feasible };
}

function isFiniteNonNegative(x: unknown): x is number {
  return typeof x === "number" && Number.isFinite(x) && x >= 0;
}

