import { describe, expect, it } from "vitest";
import { createBandAgent } from "../../src/agents/policies/band.js";
import { createRulesAgent } from "../../src/agents/policies/rules.js";
import type { BandPolicy, RulesPolicy } from "../../src/config/agent-schema.js";
import { harness } from "./helpers.js";

describe("rules policy", () => {
  const policy: RulesPolicy = {
    kind: "rules",
    rules: [
      { when: "gh1/t > 28 and gh1/door == false", then: { "gh1/fan": true, "gh1/vent": 100 }, reason: "too hot" },
      { when: "gh1/t < 26", then: { "gh1/fan": false } },
    ],
  };
  const setup = async () => {
    const h = harness();
    h.runtime.add(createRulesAgent("r1", policy, { capabilities: { read: ["gh1/*"], write: ["gh1/fan", "gh1/vent"] } }));
    h.runtime.start();
    await h.runtime.settled();
    return h;
  };
  const acts = (h: ReturnType<typeof harness>) => h.actuations.map((a) => `${a.point}=${String(a.value)}`);

  it("acts once when a condition becomes true (edge-triggered), in the order of `then`", async () => {
    const h = await setup();
    await h.feed(h.good("gh1/door", false), h.good("gh1/t", 27));
    expect(acts(h)).toEqual([]);
    await h.feed(h.good("gh1/t", 29));
    expect(acts(h)).toEqual(["gh1/fan=true", "gh1/vent=100"]);
    expect(h.actuations[0]!.reason).toBe("too hot");
    await h.feed(h.good("gh1/t", 30));
    await h.feed(h.good("gh1/t", 31));
    expect(acts(h)).toHaveLength(2);
    await h.feed(h.good("gh1/t", 25));
    expect(acts(h)).toEqual(["gh1/fan=true", "gh1/vent=100", "gh1/fan=false"]);
    expect(h.actuations[2]!.reason).toBe("rule: gh1/t < 26");
    await h.feed(h.good("gh1/t", 29));
    expect(acts(h).slice(3)).toEqual(["gh1/fan=true", "gh1/vent=100"]);
  });

  it("acts at start if a condition already holds", async () => {
    const h = harness();
    h.live.update([h.good("gh1/t", 20)]);
    h.runtime.add(createRulesAgent("r1", policy, { capabilities: { read: ["gh1/*"], write: ["gh1/*"] } }));
    h.runtime.start();
    await h.runtime.settled();
    expect(acts(h)).toEqual(["gh1/fan=false"]);
  });

  it("never acts on unknown or bad readings", async () => {
    const h = await setup();
    await h.feed(h.good("gh1/t", 35));
    await h.feed(h.bad("gh1/door"));
    expect(acts(h)).toEqual([]);
    // a bad reading makes the rule not hold, so a good one afterwards is a new edge
    await h.feed(h.good("gh1/door", false));
    expect(acts(h)).toEqual(["gh1/fan=true", "gh1/vent=100"]);
  });

  it("a refused write does not make the rule fire again on the next reading", async () => {
    const h = await setup();
    h.refuse.add("gh1/fan");
    await h.feed(h.good("gh1/door", false), h.good("gh1/t", 29));
    await h.feed(h.good("gh1/t", 30));
    expect(acts(h)).toEqual(["gh1/fan=true", "gh1/vent=100"]);
  });

  it("a condition with a syntax error is refused when the agent is built", () => {
    expect(() => createRulesAgent("r1", { kind: "rules", rules: [{ when: "gh1/t >", then: {} }] }, {})).toThrowError(
      expect.objectContaining({ code: "LOS_E_AGENT_CONFIG" }),
    );
  });
});

describe("band policy", () => {
  const policy: BandPolicy = { kind: "band", point: "gh1/t", low: 18, high: 24, heat: "gh1/heater", cool: "gh1/fan" };
  const setup = async (p: BandPolicy = policy) => {
    const h = harness();
    h.live.update([h.good("gh1/heater", false), h.good("gh1/fan", false)]);
    h.runtime.add(createBandAgent("b1", p, { capabilities: { read: ["gh1/t"], write: ["gh1/heater", "gh1/fan"] } }));
    h.runtime.start();
    await h.runtime.settled();
    return h;
  };
  const acts = (h: ReturnType<typeof harness>) => h.actuations.map((a) => `${a.point}=${String(a.value)}`);

  it("heats below low until the middle of the band (hysteresis)", async () => {
    const h = await setup();
    await h.feed(h.good("gh1/t", 19));
    expect(acts(h)).toEqual([]);
    await h.feed(h.good("gh1/t", 17.9));
    expect(acts(h)).toEqual(["gh1/heater=true"]);
    expect(h.actuations[0]!.reason).toBe("gh1/t = 17.9 below 18");
    await h.feed(h.good("gh1/t", 17));
    await h.feed(h.good("gh1/t", 20.9));
    expect(acts(h)).toEqual(["gh1/heater=true"]);
    await h.feed(h.good("gh1/t", 21));
    expect(acts(h)).toEqual(["gh1/heater=true", "gh1/heater=false"]);
    expect(h.actuations[1]!.reason).toBe("gh1/t = 21 reached the middle of the band");
    await h.feed(h.good("gh1/t", 20));
    expect(acts(h)).toHaveLength(2);
  });

  it("cools above high until the middle, switching the heater off first", async () => {
    const h = await setup();
    h.live.update([h.good("gh1/heater", true)]);
    await h.feed(h.good("gh1/t", 24.5));
    expect(acts(h)).toEqual(["gh1/heater=false", "gh1/fan=true"]);
    await h.feed(h.good("gh1/t", 22));
    expect(acts(h)).toHaveLength(2);
    await h.feed(h.good("gh1/t", 21));
    expect(acts(h)).toEqual(["gh1/heater=false", "gh1/fan=true", "gh1/fan=false"]);
  });

  it("does not write an actuator that is already in the wanted state, and ignores bad readings", async () => {
    const h = await setup();
    h.live.update([h.good("gh1/heater", true)]);
    await h.feed(h.good("gh1/t", 10));
    expect(acts(h)).toEqual([]);
    await h.feed(h.bad("gh1/t"));
    expect(acts(h)).toEqual([]);
  });

  it("works with only a heater", async () => {
    const h = await setup({ kind: "band", point: "gh1/t", low: 18, high: 24, heat: "gh1/heater" });
    await h.feed(h.good("gh1/t", 30));
    expect(acts(h)).toEqual([]);
    await h.feed(h.good("gh1/t", 10));
    expect(acts(h)).toEqual(["gh1/heater=true"]);
  });
});
