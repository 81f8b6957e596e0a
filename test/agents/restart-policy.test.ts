import { describe, expect, it } from "vitest";
import { AGENT_DEFAULTS, type ResolvedRestart } from "../../src/config/agent-manifest.js";
import { RestartIntensity } from "../../src/agents/restart-policy.js";

const policy = (over: Partial<ResolvedRestart> = {}): ResolvedRestart => ({ ...AGENT_DEFAULTS.restart, ...over });

describe("RestartIntensity", () => {
  it("permanent restarts after any exit; transient only after a failure; temporary never", () => {
    const decide = (strategy: "permanent" | "transient" | "temporary", code: "LOS_E_CLOSED" | "LOS_E_AGENT_CRASHED") =>
      new RestartIntensity(policy({ strategy })).decide(code, 0).restart;
    expect([decide("permanent", "LOS_E_CLOSED"), decide("permanent", "LOS_E_AGENT_CRASHED")]).toEqual([true, true]);
    expect([decide("transient", "LOS_E_CLOSED"), decide("transient", "LOS_E_AGENT_CRASHED")]).toEqual([false, true]);
    expect([decide("temporary", "LOS_E_CLOSED"), decide("temporary", "LOS_E_AGENT_CRASHED")]).toEqual([false, false]);
  });

  it("doubles the delay per recent restart up to backoffMaxMs, and refuses the restart past maxRestarts within withinMs", () => {
    const r = new RestartIntensity(policy({ maxRestarts: 5, withinMs: 10_000, backoffMinMs: 100, backoffMaxMs: 1000 }));
    const delays = [0, 1, 2, 3, 4].map((t) => r.decide("LOS_E_AGENT_CRASHED", t));
    expect(delays.map((d) => (d.restart ? d.delayMs : d.why))).toEqual([100, 200, 400, 800, 1000]);
    expect(r.decide("LOS_E_AGENT_CRASHED", 5)).toEqual({ restart: false, why: "intensity" });
    // once the window has passed, the count and the backoff start over
    expect(r.decide("LOS_E_AGENT_CRASHED", 20_000)).toEqual({ restart: true, delayMs: 100 });
  });

  it("maxRestarts 0 never restarts", () => {
    expect(new RestartIntensity(policy({ maxRestarts: 0 })).decide("LOS_E_AGENT_HUNG", 0)).toEqual({ restart: false, why: "intensity" });
  });
});
