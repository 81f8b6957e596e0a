/**
 * The safety side of the gateway: an agent that keeps failing is restarted, then stopped for good
 * (restart intensity), and each time its actuators go to their safe values; a write the device itself refuses is audited as failed; safeOnShutdown: false
 * leaves the actuators as they are.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "../../src/agents/agent.js";
import { topics } from "../../src/core/topics.js";
import { collect, expectReadingsFlow, startHarness, waitFor, type Harness } from "./helpers.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("gateway safety", () => {
  it("an agent that keeps failing is restarted, then marked failed; each exit drives its actuators to their safe values", async () => {
    h = await startHarness({ temperatureC: 10 });
    const { gateway, sim } = h;
    const client = await h.connect(h.authPort, { username: "admin", password: h.adminPassword() });
    const seen = collect(client);
    const statusTopic = topics.agentStatus(gateway.scope, "flaky");
    await client.subscribeAsync(statusTopic);

    let decisions = 0;
    const agent = new Agent("flaky", { tenant: "growers", register: false, everyMs: 10, capabilities: { read: ["gh1/*"], write: ["gh1/heater", "gh1/fan"] } });
    agent.onDecide(async (_p, ctx) => {
      decisions++;
      if (decisions === 1) {
        await ctx.actuate("gh1/heater", true, "warming up");
        await ctx.actuate("gh1/fan", true, "circulate");
        return;
      }
      throw new Error(`broken decision ${decisions}`);
    });
    // one restart allowed: the second run fails too and the agent stays failed
    gateway.addAgent(agent, { restart: { maxRestarts: 1, backoffMinMs: 10 } });

    await waitFor(() => seen.last(statusTopic)?.state === "failed", { what: "agent status failed" });
    expect(String(seen.last(statusTopic)!.error)).toMatch(/^LOS_E_AGENT_RESTART_LIMIT: .*LOS_E_AGENT_FAILED: broken decision/);
    expect(seen.last(statusTopic)).toMatchObject({ restarts: 1, lastExit: { code: "LOS_E_AGENT_RESTART_LIMIT" } });
    expect(gateway.agents.statsOf("flaky")).toMatchObject({ state: "failed", restarts: 1, actuations: 2 });
    // its two actuators were switched on, then driven back to their safe value (false) after each exit
    await waitFor(() => gateway.store.audit.list({ actor: "safety" }).length === 4, { what: "safe-value writes" });
    const safety = gateway.store.audit.list({ actor: "safety" });
    expect(safety.map((r) => [r.point, r.value, r.outcome, r.reason]).sort()).toEqual([
      ["gh1/fan", false, "accepted", "agent flaky failed"],
      ["gh1/fan", false, "accepted", "agent flaky failed"],
      ["gh1/heater", false, "accepted", "agent flaky failed"],
      ["gh1/heater", false, "accepted", "agent flaky failed"],
    ]);
    expect(sim.bank(1).getBit("coil", 0)).toBe(false);
    expect(sim.bank(1).getBit("coil", 1)).toBe(false);
    const accepted = gateway.store.audit.list({ actor: "flaky" });
    expect(accepted.map((r) => r.point).sort()).toEqual(["gh1/fan", "gh1/heater"]);
    // the gateway goes on
    await expectReadingsFlow(h);
  });

  it("a write the device refuses is audited as failed with a device code; the next write works", async () => {
    h = await startHarness();
    const { gateway, sim } = h;
    await waitFor(() => gateway.live.get("gh1/heater")?.quality === "good", { what: "first poll" });
    // Modbus exception 04 on write single coil (function code 5) only: reads keep working
    sim.faults.set({ mode: "exception", unitId: 1, functionCodes: [5], exceptionCode: 4 });
    const r = await gateway.actuate({ kind: "operator", id: "t" }, "gh1/fan", true, "device says no");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    // the device manager wraps the device's own error: its code stays in the message
    expect(r.code).toBe("LOS_E_WRITE_FAILED");
    expect(r.message).toContain("LOS_E_DEVICE_EXCEPTION");
    const [rec] = gateway.store.audit.list({ point: "gh1/fan" });
    expect(rec).toMatchObject({ outcome: "failed", code: "LOS_E_WRITE_FAILED", value: true, reason: "device says no" });
    expect(rec!.message).toContain("LOS_E_DEVICE_EXCEPTION");
    expect(sim.bank(1).getBit("coil", 1)).toBe(false);
    expect(gateway.live.get("gh1/temperature")?.quality).toBe("good");

    sim.faults.clear();
    expect(await gateway.actuate({ kind: "operator", id: "t" }, "gh1/fan", true, "now it works")).toMatchObject({ ok: true });
    expect(sim.bank(1).getBit("coil", 1)).toBe(true);
    await expectReadingsFlow(h);
  });
});
