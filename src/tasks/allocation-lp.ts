/**
 * The optimal allocation of an instance by integer program (a generalised assignment problem):
 *
 *   maximise   Σ value[t][a] · x[t][a]
 *   subject to Σ_a x[t][a] ≤ 1            each task to at most one agent (= 1 with assignAll)
 *              Σ_t load[t][a] · x[t][a] ≤ capacity[a]
 *              x[t][a] ∈ {0, 1}, only where agent a can do task t
 *
 * written in CPLEX LP format and solved by HiGHS (the `highs` package: wasm, loaded once, lazily).
 * The LP relaxation (0 ≤ x ≤ 1) gives an upper bound in a fraction of the time, for instances too
 * big to solve exactly. HiGHS blocks the thread while it solves: call it from tools and benches,
 * not from the gateway's event loop.
 */
import type { Highs } from "highs";
import { LosError } from "../core/errors.js";
import { type AllocationInstance, assignmentValue, validateInstance } from "./allocation-instances.js";

export interface SolveOptions {
  /** stop the search after this long and return the best allocation found (default 10 000) */
  timeLimitMs?: number;
  /** every task must be allocated (rows become equalities; the instance may then be infeasible) */
  assignAll?: boolean;
  /** also solve the LP relaxation and report its optimum as `bound` */
  withBound?: boolean;
  /** relative MIP gap at which HiGHS stops (default 1e-6: the optimum for practical purposes) */
  mipGap?: number;
}

export interface AllocationSolution {
  /** optimal: proved; time-limit: the best allocation found when time ran out (objective ≤ optimum) */
  status: "optimal" | "time-limit";
  /** HiGHS's own status text */
  solverStatus: string;
  objective: number;
  /** task index → agent index, -1 where the task is not allocated */
  assignment: number[];
  allocated: number;
  /** the LP relaxation's optimum (≥ the integer optimum), with `withBound` */
  bound?: number;
  solveMs: number;
}

export interface RelaxationSolution {
  bound: number;
  solverStatus: string;
  solveMs: number;
}

let loading: Promise<Highs> | undefined;

/** The HiGHS runtime, compiled and instantiated on first use and shared after that. */
export function loadHighs(): Promise<Highs> {
  loading ??= import("highs").then((mod) => mod.default()).catch((cause: unknown) => {
    loading = undefined; // a later call may try again
    throw new LosError("LOS_E_ALLOCATION_SOLVER", `could not load the HiGHS solver: ${String(cause)}`, { cause });
  });
  return loading;
}

/** The integer optimum of `instance`; LOS_E_ALLOCATION_SOLVER when invalid, infeasible or failed. */
export async function solveAllocation(instance: AllocationInstance, options: SolveOptions = {}): Promise<AllocationSolution> {
  validateInstance(instance);
  const vars = variables(instance);
  if (options.assignAll) {
    const lonely = instance.tasks.find((_, t) => !vars.some((v) => v.t === t));
    if (lonely) throw new LosError("LOS_E_ALLOCATION_SOLVER", `no feasible allocation: no agent can do task ${lonely.id}`, { details: { status: "Infeasible" } });
  }
  const highs = await loadHighs();
  const bound = options.withBound ? solveRelaxation(highs, instance, options) : undefined;
  const started = performance.now();
  const result = runSolver(highs, allocationLp(instance, { assignAll: options.assignAll ?? false, relax: false }), {
    time_limit: (options.timeLimitMs ?? 10_000) / 1000,
    mip_rel_gap: options.mipGap ?? 1e-6,
  });
  const solveMs = performance.now() - started;
  const status = result.Status;
  const columns = result.Columns as Record<string, { Primal?: number } | undefined>;
  const hasPrimal = vars.length === 0 || vars.some((v) => typeof columns[v.name]?.Primal === "number");
  if (status !== "Optimal" && !(status === "Time limit reached" && hasPrimal)) {
    throw new LosError("LOS_E_ALLOCATION_SOLVER", `no allocation: HiGHS ended with "${status}"`, { details: { status } });
  }
  const assignment = instance.tasks.map(() => -1);
  for (const v of vars) if ((columns[v.name]?.Primal ?? 0) > 0.5) assignment[v.t] = v.a;
  // the objective from the rounded assignment: HiGHS's is within its tolerances of it
  const check = assignmentValue(instance, assignment);
  if (!check.feasible) throw new LosError("LOS_E_ALLOCATION_SOLVER", "HiGHS returned an allocation that breaks a capacity", { details: { status } });
  return {
    status: status === "Optimal" ? "optimal" : "time-limit",
    solverStatus: status,
    objective: check.value,
    assignment,
    allocated: assignment.filter((a) => a >= 0).length,
    ...(bound ? { bound: bound.bound } : {}),
    solveMs,
  };
}

/** The LP relaxation's optimum: an upper bound on any allocation of `instance`. */
export async function solveRelaxationBound(instance: AllocationInstance, options: SolveOptions = {}): Promise<RelaxationSolution> {
  validateInstance(instance);
  return solveRelaxation(await loadHighs(), instance, options);
}

function solveRelaxation(highs: Highs, instance: AllocationInstance, options: SolveOptions): RelaxationSolution {
  const started = performance.now();
  const result = runSolver(highs, allocationLp(instance, { assignAll: options.assignAll ?? false, relax: true }), {
    time_limit: (options.timeLimitMs ?? 10_000) / 1000,
  });
  if (result.Status !== "Optimal") {
    throw new LosError("LOS_E_ALLOCATION_SOLVER", `no LP bound: HiGHS ended with "${result.Status}"`, { details: { status: result.Status } });
  }
  return { bound: variables(instance).length === 0 ? 0 : result.ObjectiveValue, solverStatus: result.Status, solveMs: performance.now() - started };
}

type HighsResult = ReturnType<Highs["solve"]>;

function runSolver(highs: Highs, lp: string, options: { time_limit: number; mip_rel_gap?: number }): HighsResult {
  try {
    return highs.solve(lp, { output_flag: false, log_to_console: false, ...options });
  } catch (cause) {
    throw new LosError("LOS_E_ALLOCATION_SOLVER", `HiGHS failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

interface Variable {
  name: string;
  t: number;
  a: number;
}

function variables(instance: AllocationInstance): Variable[] {
  const vars: Variable[] = [];
  instance.value.forEach((row, t) =>
    row.forEach((v, a) => {
      if (v !== null) vars.push({ name: `x${t}_${a}`, t, a });
    }),
  );
  return vars;
}

/** The model in CPLEX LP format (what HiGHS reads); `relax` drops integrality for the bound. */
export function allocationLp(instance: AllocationInstance, options: { assignAll: boolean; relax: boolean }): string {
  const vars = variables(instance);
  const lines = ["Maximize"];
  // a model without columns is still valid LP text: the objective is then the constant 0
  lines.push(...wrap(" value:", vars.length ? vars.map((v) => term(instance.value[v.t]?.[v.a] ?? 0, v.name)) : ["0 x_none"]));
  lines.push("Subject To");
  instance.tasks.forEach((_, t) => {
    const own = vars.filter((v) => v.t === t);
    if (own.length === 0) return;
    lines.push(...wrap(` task${t}:`, own.map((v) => term(1, v.name))), options.assignAll ? "  = 1" : "  <= 1");
  });
  instance.agents.forEach((agent, a) => {
    const own = vars.filter((v) => v.a === a && (instance.load[v.t]?.[a] ?? 0) > 0);
    if (own.length === 0) return;
    lines.push(...wrap(` agent${a}:`, own.map((v) => term(instance.load[v.t]?.[a] ?? 0, v.name))), `  <= ${num(agent.capacity)}`);
  });
  lines.push("Bounds");
  for (const v of vars) lines.push(` 0 <= ${v.name} <= 1`);
  if (vars.length === 0) lines.push(" x_none = 0");
  if (!options.relax && vars.length > 0) {
    lines.push("Binaries");
    lines.push(...wrap("", vars.map((v) => v.name)));
  }
  lines.push("End");
  return `${lines.join("\n")}\n`;
}

function term(coefficient: number, name: string): string {
  return `${coefficient < 0 ? "-" : "+"} ${num(Math.abs(coefficient))} ${name}`;
}

/** LP text wants plain decimals; keep lines short (readers limit line length). */
function num(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(9).replace(/0+$/, "");
}

function wrap(head: string, terms: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < terms.length; i += 12) out.push(`${i === 0 ? head : ""} ${terms.slice(i, i + 12).join(" ")}`);
  return out;
}
