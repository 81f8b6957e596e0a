/**
 * The factory-cell scenario (docs/scenarios.md): jobs ("machine-part") arrive as tasks; the machine
 * agents bid their expected completion time and the earliest finish wins; the conveyor agent holds
 * the belt's leases and delivers the parts. Machine 1's agent tries to run the belt itself once and
 * is refused (LOS_E_LEASE_CONFLICT, audited). When machine 2 is first busy, its fault trip is set
 * through the simulator's control API: the part inside is scrapped, machine 2's agent gives up and
 * ends, and its job is announced again and done by another machine. The outcome is read from the
 * task records, their events, the audit trail and the cell's own counters.
 */
import type { TaskRecord } from "../../core/task-types.js";
import type { FactoryCellModel } from "../../../simulators/models/factory-cell.js";
import { FACTORY_CELL_MAP } from "../../../simulators/models/factory-cell-map.js";
import { agentsRunning, startScenarioSite, waitUntil } from "./scenario-site.js";

export interface FactoryCellOptions {
  seed: number;
  /** jobs to make (default 6) */
  jobs?: number;
  /** simulated time over which the jobs arrive, ms (default 1 min) */
  arrivalMs?: number;
  /** simulated ms per real ms (default 25) */
  speed?: number;
  /** inject machine 2's fault (default true) */
  fault?: boolean;
}

export interface FactoryCellOutcome {
  scenario: "factory-cell";
  goalMet: boolean;
  seed: number;
  jobs: number;
  done: number;
  /** jobs done per machine agent (task records) and parts counted by each machine (the cell) */
  perMachine: { agent: string; jobs: number; partsCounted: number; scrapped: number }[];
  makespanS: number;
  fault: { injected: boolean; machine: number; atS?: number; job?: string; redoneBy?: string };
  reannounced: { job: string; from?: string; code?: string }[];
  conflicts: { agent: string; point: string; code: string }[];
  /** a job done more than once, or a machine that counted more parts than it was given */
  doneTwice: string[];
  partsLost: number;
  failed: { job: string; state: string; error?: string }[];
  /** the conveyor's delivery tasks (created by the machine agents) */
  deliveries: { done: number; notDone: { id: string; state: string; error?: string }[] };
}

const MACHINES = ["machine-1", "machine-2", "machine-3"];
const FAULT_MACHINE = 2;

export async function runFactoryCell(o: FactoryCellOptions): Promise<FactoryCellOutcome> {
  const jobs = o.jobs ?? 6;
  const speed = o.speed ?? 25;
  const arrivalMs = o.arrivalMs ?? 60_000;
  const wantFault = o.fault ?? true;
  const sim: { model?: FactoryCellModel } = {};
  const fault: FactoryCellOutcome["fault"] = { injected: false, machine: FAULT_MACHINE };
  let trip: (() => void) | undefined;
  const site = await startScenarioSite({
    name: "factory-cell",
    sim: { model: "factory-cell" },
    speed,
    onStep: () => {
      if (wantFault && !fault.injected && sim.model?.state().machines[FAULT_MACHINE - 1]?.state === "busy") trip?.();
    },
  });
  sim.model = site.sim.model as FactoryCellModel;
  const { startControlServer } = await import("../../../simulators/control/control-server.js");
  const control = await startControlServer(site.sim);
  try {
    const start = site.simMs();
    trip = () => {
      fault.injected = true;
      fault.atS = round((site.simMs() - start) / 1000, 1);
      // through the simulator's control API, as an operator's test rig would
      void fetch(`${control.url}/units/1/registers`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ kind: "discrete", address: FACTORY_CELL_MAP.discrete.faultTrip + FAULT_MACHINE - 1, values: [true] }),
      });
    };
    await waitUntil("the cell's agents and first readings", () => site.gateway.live.get("cell/m3_state") && agentsRunning(site.gateway, ["conveyor", ...MACHINES]), 20_000);
    const doneAt = new Map<string, number>();
    const off = site.tasks.onChange((t) => {
      if (t.type === "machine-part" && t.state === "done" && !doneAt.has(t.id)) doneAt.set(t.id, site.simMs());
    });
    const ids: string[] = [];
    for (let i = 1; i <= jobs; i++) {
      const id = `job-${i}`;
      ids.push(id);
      site.tasks.create(
        { id, type: "machine-part", allocation: "auction", priority: 5, params: { job: i }, auction: { objective: "min", bidWindowMs: 200, confirmMs: 1000, maxRounds: 5 } },
        "scenario",
      );
      // the next job arrives after this one is placed (its bid saw the queues) and the arrival gap
      await waitUntil(`${id} to be awarded`, () => site.tasks.get(id)?.winner !== undefined || isFinal(site.tasks.get(id)), 20_000);
      if (i < jobs) await pause(arrivalMs / jobs / speed);
    }
    // a job still open after a minute is reported as it stands (the goal is then missed)
    const limit = AbortSignal.timeout(60_000);
    await Promise.allSettled(ids.map((id) => site.tasks.waitFor(id, undefined, limit)));
    const records = ids.map((id) => site.tasks.get(id)).filter((t): t is TaskRecord => t !== undefined);
    off();
    return outcome(o.seed, site, records, start, doneAt, fault);
  } finally {
    await control.close();
    await site.close();
  }
}

type Site = Awaited<ReturnType<typeof startScenarioSite>>;

function outcome(seed: number, site: Site, records: TaskRecord[], start: number, doneAt: Map<string, number>, fault: FactoryCellOutcome["fault"]): FactoryCellOutcome {
  const cell = (site.sim.model as FactoryCellModel).state();
  const done = records.filter((t) => t.state === "done");
  const reannounced = records.flatMap((t) =>
    site.tasks
      .events(t.id)
      .filter((e) => e.event === "reannounced")
      .map((e) => ({ job: t.id, ...(e.agent ? { from: e.agent } : {}), ...(e.code ? { code: e.code } : {}) })),
  );
  const faulted = reannounced.find((r) => r.from === `machine-${FAULT_MACHINE}`);
  if (faulted) {
    fault.job = faulted.job;
    const redone = records.find((t) => t.id === faulted.job);
    if (redone?.state === "done" && redone.winner) fault.redoneBy = redone.winner;
  }
  const perMachine = MACHINES.map((agent, i) => ({
    agent,
    jobs: done.filter((t) => t.winner === agent).length,
    partsCounted: cell.machines[i]?.done ?? 0,
    scrapped: cell.machines[i]?.scrapped ?? 0,
  }));
  const doneTwice = [
    ...records.filter((t) => site.tasks.events(t.id).filter((e) => e.event === "done").length > 1).map((t) => t.id),
    ...perMachine.filter((m) => m.partsCounted > m.jobs).map((m) => `${m.agent} counted ${m.partsCounted} parts for ${m.jobs} job(s)`),
  ];
  const conflicts = site.gateway.store.audit
    .list({ since: 0, limit: 10_000 })
    .filter((a) => a.outcome === "refused" && a.code === "LOS_E_LEASE_CONFLICT")
    .map((a) => ({ agent: a.actor.id, point: a.point, code: a.code! }));
  const last = Math.max(start, ...doneAt.values());
  const out: FactoryCellOutcome = {
    scenario: "factory-cell",
    goalMet: false,
    seed,
    jobs: records.length,
    done: done.length,
    perMachine,
    makespanS: round((last - start) / 1000, 1),
    fault,
    reannounced,
    conflicts,
    doneTwice,
    partsLost: cell.lost,
    failed: records.filter((t) => t.state !== "done").map((t) => ({ job: t.id, state: t.state, ...(t.error ? { error: `${t.error.code}: ${t.error.message}` } : {}) })),
    deliveries: deliveries(site.tasks.list({ type: "convey", limit: 1000 })),
  };
  const faultHandled = !fault.injected || (fault.redoneBy !== undefined && fault.redoneBy !== `machine-${FAULT_MACHINE}`);
  out.goalMet = out.done === out.jobs && doneTwice.length === 0 && out.partsLost === 0 && conflicts.length > 0 && faultHandled;
  return out;
}

export function renderFactoryCell(r: FactoryCellOutcome): string {
  const lines = [
    `factory cell: ${r.jobs} jobs on 3 machines (seed ${r.seed})`,
    `  jobs done: ${r.done}/${r.jobs}; makespan ${r.makespanS} s (simulated)`,
    "  per machine:",
    ...r.perMachine.map((m) => `    ${m.agent}  ${m.jobs} job(s), ${m.partsCounted} part(s) counted by the machine, ${m.scrapped} scrapped`),
    `  fault: ${r.fault.injected ? `machine ${r.fault.machine} tripped at ${r.fault.atS} s${r.fault.job ? `; ${r.fault.job} announced again and done by ${r.fault.redoneBy ?? "nobody"}` : ""}` : "not injected"}`,
    `  re-announced jobs: ${r.reannounced.length === 0 ? "none" : r.reannounced.map((x) => `${x.job} (from ${x.from ?? "?"}, ${x.code ?? "?"})`).join(", ")}`,
    `  conveyor conflicts refused: ${r.conflicts.length === 0 ? "none" : r.conflicts.map((c) => `${c.agent} on ${c.point} (${c.code})`).join(", ")}`,
    `  jobs done twice: ${r.doneTwice.length === 0 ? "none" : r.doneTwice.join(", ")}; parts lost off the belt: ${r.partsLost}`,
    `  deliveries by the conveyor: ${r.deliveries.done} done${r.deliveries.notDone.length > 0 ? `; not done: ${r.deliveries.notDone.map((d) => `${d.id} ${d.state}${d.error ? ` (${d.error})` : ""}`).join(", ")}` : ""}`,
    ...(r.failed.length > 0 ? [`  not done: ${r.failed.map((f) => `${f.job} ${f.state}${f.error ? ` (${f.error})` : ""}`).join(", ")}`] : []),
    `  goal ${r.goalMet ? "met" : "NOT met"}`,
  ];
  return `${lines.join("\n")}\n`;
}

function deliveries(list: TaskRecord[]): FactoryCellOutcome["deliveries"] {
  return {
    done: list.filter((t) => t.state === "done").length,
    notDone: list.filter((t) => t.state !== "done").map((t) => ({ id: t.id, state: t.state, ...(t.error ? { error: `${t.error.code}: ${t.error.message}` } : {}) })),
  };
}

function isFinal(task: TaskRecord | undefined): boolean {
  return !!task && ["done", "failed", "cancelled", "expired"].includes(task.state);
}

function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
