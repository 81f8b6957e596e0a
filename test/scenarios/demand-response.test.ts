import { describe, expect, it } from "vitest";
import { renderDemandResponse, runDemandResponse } from "../../src/cli/scenarios/demand-response.js";

describe("scenario demand-response", () => {
  it("sheds the target by negotiation, seen on the site meter, with no comfort violation", async () => {
    const r = await runDemandResponse({ seed: 1 });
    expect(r.task.state).toBe("done");
    expect(r.shedKw).toBeGreaterThanOrEqual(r.targetKw * 0.95);
    expect(r.comfort.violations).toEqual([]);
    // the split covers the target; the cheapest comfort margins shed first, the HVAC (reluctant) not at all
    expect(r.parts.reduce((s, p) => s + p.committedKw, 0)).toBeGreaterThanOrEqual(r.targetKw - 1e-6);
    expect(r.parts.map((p) => p.agent).sort()).toEqual(["ev-charger", "pool-pump", "water-heater"]);
    // the EV charger took a second, dearer step after the coordinator's counter-offer
    expect(r.task.rounds).toBeGreaterThanOrEqual(2);
    expect(r.parts.find((p) => p.agent === "ev-charger")?.setTo).toBe(12);
    expect(r.goalMet).toBe(true);
    expect(renderDemandResponse(r)).toMatch(/comfort violations: none[\s\S]*goal met/);
  }, 60_000);
});
