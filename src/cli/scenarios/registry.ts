/**
 * The scenarios `llmagentos scenario` knows: a name, one line on what it shows, and how to run and
 * print it. The runners load (with the gateway and the simulators) only when a scenario runs.
 */
export interface ScenarioRunOptions {
  seed: number;
  /** simulated duration: the demand-response window, or the factory's job arrival period */
  durationMs?: number;
}

export interface ScenarioResult {
  goalMet: boolean;
  outcome: unknown;
  text: string;
}

export interface ScenarioEntry {
  name: string;
  summary: string;
  /** what --duration means for it, and its default */
  duration: string;
  run(o: ScenarioRunOptions): Promise<ScenarioResult>;
}

export const SCENARIOS: readonly ScenarioEntry[] = [
  {
    name: "demand-response",
    summary: "the grid asks a building to shed 10 kW; appliance agents negotiate who sheds what at what price, under leases, without comfort violations",
    duration: "the event window (default 15m)",
    async run(o) {
      const { runDemandResponse, renderDemandResponse } = await import("./demand-response.js");
      const outcome = await runDemandResponse({ seed: o.seed, ...(o.durationMs !== undefined ? { windowMs: o.durationMs } : {}) });
      return { goalMet: outcome.goalMet, outcome, text: renderDemandResponse(outcome) };
    },
  },
  {
    name: "factory-cell",
    summary: "machine agents bid for jobs, a conveyor agent holds the belt's lease (a rival write is refused), a machine faults and its job is done elsewhere, once",
    duration: "the period over which the jobs arrive (default 1m)",
    async run(o) {
      const { runFactoryCell, renderFactoryCell } = await import("./factory-cell.js");
      const outcome = await runFactoryCell({ seed: o.seed, ...(o.durationMs !== undefined ? { arrivalMs: o.durationMs } : {}) });
      return { goalMet: outcome.goalMet, outcome, text: renderFactoryCell(outcome) };
    },
  },
];
