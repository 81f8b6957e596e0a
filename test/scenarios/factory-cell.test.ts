import { describe, expect, it } from "vitest";
import { renderFactoryCell, runFactoryCell } from "../../src/cli/scenarios/factory-cell.js";

describe("scenario factory-cell", () => {
  it("does every job exactly once, refuses the rival conveyor write and re-runs the faulted machine's job elsewhere", async () => {
    // 10× (the CLI runs 25×): on a loaded CI machine the agents keep up with the cell
    const r = await runFactoryCell({ seed: 1, speed: 10 });
    // the whole outcome on failure: which deliveries stalled, what was re-announced
    expect(r.failed, JSON.stringify({ deliveries: r.deliveries, reannounced: r.reannounced, fault: r.fault, perMachine: r.perMachine })).toEqual([]);
    expect(r.done).toBe(r.jobs);
    expect(r.doneTwice).toEqual([]);
    expect(r.partsLost).toBe(0);
    // the cell's own counters agree with the task records: no part machined twice
    expect(r.perMachine.reduce((s, m) => s + m.partsCounted, 0)).toBe(r.jobs);
    // machine 1's agent tried the belt once and the conveyor's lease refused it (audited)
    expect(r.conflicts).toEqual([{ agent: "machine-1", point: "cell/conveyor_motor", code: "LOS_E_LEASE_CONFLICT" }]);
    // machine 2 faulted mid-job: its part scrapped, the job announced again and done by another machine
    expect(r.fault.injected).toBe(true);
    expect(r.perMachine.find((m) => m.agent === "machine-2")?.scrapped).toBe(1);
    expect(r.reannounced.some((x) => x.from === "machine-2" && x.job === r.fault.job)).toBe(true);
    expect(["machine-1", "machine-3"]).toContain(r.fault.redoneBy);
    expect(r.goalMet).toBe(true);
    expect(renderFactoryCell(r)).toMatch(/jobs done twice: none[\s\S]*goal met/);
  }, 90_000);
});
