import { describe, expect, it } from "vitest";
import { Agent } from "../../src/agents/agent.js";
import { run } from "../../src/agents/run.js";
import { silentLogger } from "../../src/core/types.js";

// This file uses the default registry on purpose (the seed-style API); vitest runs each file in its own process.
describe("run() (the seed example)", () => {
  it("starts the agents created with new Agent(), runs the assigned task and reports actions in order", async () => {
    const agent1 = new Agent("agent1");
    const agent2 = new Agent("agent2");
    const task = async () => {
      await agent1.action("A");
      await agent2.action("B");
      await agent1.action("C", { n: 1 });
    };
    agent1.assignTask(task);
    const report = await run({ logger: silentLogger });
    expect(report.agents.map((a) => [a.id, a.actions.map((r) => r.action)])).toEqual([
      ["agent1", ["A", "C"]],
      ["agent2", ["B"]],
    ]);
    expect(report.agents[0]!.actions[1]!.params).toEqual({ n: 1 });
    // run() detaches its agents when done
    expect(agent1.context).toBeUndefined();
    // and the registry was drained: a second run() has nothing to do
    expect((await run({ logger: silentLogger })).agents).toEqual([]);
  });

  it("without a gateway there are no devices: actuate returns LOS_E_POINT_UNKNOWN instead of throwing", async () => {
    const a = new Agent("lonely", { register: false, capabilities: { write: ["gh1/fan"] } });
    let outcome: unknown;
    a.assignTask(async (ctx) => {
      outcome = await ctx.actuate("gh1/fan", true, "try");
    });
    await run({ logger: silentLogger, agents: [a] });
    expect(outcome).toMatchObject({ ok: false, code: "LOS_E_POINT_UNKNOWN" });
  });

  it("runs only the agents it is given", async () => {
    const a = new Agent("only-me", { register: false });
    a.assignTask(() => a.action("X"));
    const report = await run({ logger: silentLogger, agents: [a] });
    expect(report.agents).toEqual([{ id: "only-me", actions: [expect.objectContaining({ agent: "only-me", action: "X" })] }]);
  });
});
