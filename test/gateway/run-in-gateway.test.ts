/** The seed's `run()` joined to a running gateway: its supervisor hosts the agents, writes take the checked path. */
import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "../../src/agents/agent.js";
import { run } from "../../src/agents/run.js";
import { silentLogger } from "../../src/core/types.js";
import { startHarness, waitFor, type Harness } from "./helpers.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("run() with a gateway", () => {
  it("runs the task in the gateway's supervisor; its actuation is audited under the agent", async () => {
    h = await startHarness();
    const gateway = h.gateway;
    await waitFor(() => gateway.live.get("gh1/fan")?.quality === "good", { what: "first poll" });
    const agent = new Agent("seed", { register: false, tenant: "growers", capabilities: { write: ["gh1/fan"] } });
    agent.defineAction("ventilate", (ctx) => ctx.actuate("gh1/fan", true, "seed task"));
    agent.assignTask(() => agent.action("ventilate"));
    const report = await run({ gateway, agents: [agent], logger: silentLogger });
    expect(report.agents).toEqual([{ id: "seed", actions: [expect.objectContaining({ action: "ventilate", result: expect.objectContaining({ ok: true }) })] }]);
    expect(gateway.store.audit.list({ actor: "seed" })).toMatchObject([{ point: "gh1/fan", value: true, outcome: "accepted" }]);
    expect(gateway.agents.statsOf("seed")).toMatchObject({ state: "running", actuations: 1, messagesOut: 1 });
  });
});
