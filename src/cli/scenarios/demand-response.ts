/**
 * The demand-response scenario (docs/scenarios.md): the grid operator asks the building to shed
 * `targetKw` for a window. The signal goes in as the site fact `grid/dr-event`; the coordinator agent
 * turns it into a negotiation task; the appliance agents bid kW at a price per kW from their comfort
 * margins and the winners turn their appliances down for the window. The outcome is read from the
 * world: the site meter over Modbus (through the gateway), the task's parts and results, and the
 * simulator's comfort signals sampled through the window.
 */
import type { TaskRecord } from "../../core/task-types.js";
import type { BuildingLoadsModel } from "../../../simulators/models/building-loads.js";
import { agentsRunning, startScenarioSite, waitUntil } from "./scenario-site.js";

export interface DemandResponseOptions {
  seed: number;
  /** kW to shed (default 10) */
  targetKw?: number;
  /** simulated length of the event window, ms (default 15 min) */
  windowMs?: number;
  /** simulated ms per real ms (default 300: a 15 min window lasts 3 s) */
  speed?: number;
}

export interface ShedPart {
  agent: string;
  appliance: string;
  committedKw: number;
  pricePerKw: number;
  setTo: unknown;
}

export interface ComfortViolation {
  signal: string;
  limit: string;
  worst: number;
}

export interface DemandResponseOutcome {
  scenario: "demand-response";
  goalMet: boolean;
  seed: number;
  task: { id: string; state: string; rounds: number; error?: string };
  targetKw: number;
  baselineKw: number;
  duringKw: number;
  shedKw: number;
  /** the negotiated split: who sheds what at what price */
  parts: ShedPart[];
  costPerHour: number;
  comfort: { worst: Record<string, number>; violations: ComfortViolation[] };
  windowMin: number;
}

/** Comfort limits of the building's occupants (the appliance agents bid against the same ones). */
const LIMITS = [
  { signal: "tankTemperatureC", limit: ">= 45 degC", ok: (v: number) => v >= 45, worse: Math.min },
  { signal: "roomTemperatureC", limit: "<= 26 degC", ok: (v: number) => v <= 26, worse: Math.max },
  { signal: "freezerTemperatureC", limit: "<= -15 degC", ok: (v: number) => v <= -15, worse: Math.max },
] as const;

/** Shed within 5 % of the target counts as met (the meter's base load wanders a little). */
const TOLERANCE = 0.05;

export async function runDemandResponse(o: DemandResponseOptions): Promise<DemandResponseOutcome> {
  const targetKw = o.targetKw ?? 10;
  const windowSimMs = o.windowMs ?? 15 * 60_000;
  const speed = o.speed ?? 300;
  const windowRealMs = Math.max(500, Math.round(windowSimMs / speed));
  let sampling = false;
  const worst: Record<string, number> = {};
  const sim: { model?: BuildingLoadsModel } = {};
  const site = await startScenarioSite({
    name: "demand-response",
    sim: { model: "building-loads", seed: o.seed },
    speed,
    onStep: () => {
      if (!sampling || !sim.model) return;
      const s = sim.model.state();
      for (const l of LIMITS) worst[l.signal] = worst[l.signal] === undefined ? s[l.signal] : l.worse(worst[l.signal]!, s[l.signal]);
    },
  });
  sim.model = site.sim.model as BuildingLoadsModel;
  try {
    const meter = () => site.gateway.live.get("house/site_power");
    const bidders = ["water-heater", "hvac", "ev-charger", "pool-pump", "freezer", "dr-coordinator"];
    await waitUntil("the agents and the first meter reading", () => meter() && agentsRunning(site.gateway, bidders), 20_000);
    const baselineKw = average(await samples(() => meter()?.value, 10, 30));

    const event = { id: `evt-${o.seed}`, shedKw: targetKw, windowS: windowSimMs / 1000, windowMs: windowRealMs };
    sampling = true;
    site.facts.put({ scope: "site", owner: site.gateway.config.config.site, key: "grid/dr-event", value: event, by: "grid-operator" });
    const taskId = `dr-${event.id}`;
    const running = await waitUntil("the shed-load task to run", () => final(site.tasks.get(taskId)) ?? (site.tasks.get(taskId)?.state === "running" ? site.tasks.get(taskId) : undefined), 20_000);
    // the meter over the middle half of the window: the writes have landed and nothing is restored yet
    let during: number[] = [];
    if (running.state === "running") {
      await pause(windowRealMs / 4);
      during = await samples(() => meter()?.value, 10, windowRealMs / 2 / 10);
    }
    const done = await site.tasks.waitFor(taskId, undefined, AbortSignal.timeout(windowRealMs + 20_000));
    sampling = false;
    return outcome(o.seed, done, site.tasks.events(taskId).filter((e) => e.event === "cfp").length, targetKw, baselineKw, during, worst, windowSimMs);
  } finally {
    await site.close();
  }
}

function outcome(seed: number, task: TaskRecord, rounds: number, targetKw: number, baselineKw: number, during: number[], worst: Record<string, number>, windowMs: number): DemandResponseOutcome {
  const results = ((task.result as { results?: Record<string, { appliance?: string; setTo?: unknown }> } | undefined)?.results ?? {}) as Record<string, { appliance?: string; setTo?: unknown }>;
  const parts: ShedPart[] = (task.parts ?? [])
    .filter((p) => p.state === "done")
    .map((p) => ({ agent: p.agent, appliance: results[p.agent]?.appliance ?? p.agent, committedKw: round(p.quantity, 3), pricePerKw: round(p.price, 4), setTo: results[p.agent]?.setTo }));
  const duringKw = during.length > 0 ? average(during) : baselineKw;
  const shedKw = round(baselineKw - duringKw, 3);
  const violations: ComfortViolation[] = LIMITS.filter((l) => worst[l.signal] !== undefined && !l.ok(worst[l.signal]!)).map((l) => ({ signal: l.signal, limit: l.limit, worst: round(worst[l.signal]!, 2) }));
  const out: DemandResponseOutcome = {
    scenario: "demand-response",
    goalMet: task.state === "done" && shedKw >= targetKw * (1 - TOLERANCE) && violations.length === 0,
    seed,
    task: { id: task.id, state: task.state, rounds, ...(task.error ? { error: `${task.error.code}: ${task.error.message}` } : {}) },
    targetKw,
    baselineKw: round(baselineKw, 3),
    duringKw: round(duringKw, 3),
    shedKw,
    parts,
    costPerHour: round(parts.reduce((s, p) => s + p.committedKw * p.pricePerKw, 0), 4),
    comfort: { worst: Object.fromEntries(Object.entries(worst).map(([k, v]) => [k, round(v, 2)])), violations },
    windowMin: windowMs / 60_000,
  };
  return out;
}

export function renderDemandResponse(r: DemandResponseOutcome): string {
  const lines = [
    `demand response: shed ${r.targetKw} kW for ${r.windowMin} min (seed ${r.seed})`,
    `  task ${r.task.id}: ${r.task.state} after ${r.task.rounds} negotiation round(s)${r.task.error ? ` (${r.task.error})` : ""}`,
    `  site meter: ${r.baselineKw.toFixed(2)} kW before, ${r.duringKw.toFixed(2)} kW during → shed ${r.shedKw.toFixed(2)} kW (target ${r.targetKw} kW)`,
    "  who shed what:",
    ...r.parts.map((p) => `    ${p.agent.padEnd(14)} ${p.committedKw.toFixed(2).padStart(6)} kW at ${p.pricePerKw.toFixed(3)} per kW·h (set to ${String(p.setTo)})`),
    `  cost of the event: ${r.costPerHour.toFixed(3)} per hour`,
    `  comfort (worst during the window): ${Object.entries(r.comfort.worst).map(([k, v]) => `${k} ${v}`).join(", ")}`,
    `  comfort violations: ${r.comfort.violations.length === 0 ? "none" : r.comfort.violations.map((v) => `${v.signal} ${v.worst} (limit ${v.limit})`).join(", ")}`,
    `  goal ${r.goalMet ? "met" : "NOT met"}`,
  ];
  return `${lines.join("\n")}\n`;
}

function final(task: TaskRecord | undefined): TaskRecord | undefined {
  return task && ["done", "failed", "cancelled", "expired"].includes(task.state) ? task : undefined;
}

async function samples(read: () => unknown, count: number, everyMs: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const v = read();
    if (typeof v === "number") out.push(v);
    await pause(everyMs);
  }
  return out;
}

function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function average(xs: number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((s, x) => s + x, 0) / xs.length;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
