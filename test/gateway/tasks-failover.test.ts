/**
 * A winner that accepts, writes and vanishes (its worker thread ends): the task is announced again and
 * done once by the next agent, whose write carries the same idempotency key and is replayed, not made
 * again (one accepted write in the audit).
 */
import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "../../src/agents/agent.js";
import { startHarness, waitFor, type Harness } from "./helpers.js";

const WORKER = new URL("./tasks-worker-agent.mjs", import.meta.url).pathname;
const growers = { tenant: "growers", register: false } as const;

describe("task failover in a gateway", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("a winner that writes, then vanishes: re-announced, done once by the next agent, whose write is replayed (one accepted write)", async () => {
    h = await startHarness({
      temperatureC: 30,
      agents: [
        {
          id: "ghost",
          tenant: "growers",
          isolation: "worker",
          restart: { strategy: "temporary" },
          capabilities: { read: ["gh1/temperature"], write: ["gh1/vent"] },
          policy: { kind: "module", file: WORKER, options: { bid: 9, dieAfterWrite: true } },
        },
      ],
    });
    const { gateway } = h;
    const steady = new Agent("steady", { ...growers, capabilities: { read: ["gh1/*"], write: ["gh1/vent"] } });
    steady.onCallForProposals(() => ({ value: 3 }));
    steady.onTask("open-vent", async (run, ctx) => {
      const r = await ctx.actuate("gh1/vent", true, `task ${run.taskId}`);
      if (!r.ok) throw new Error(r.message);
      return { by: "steady", replayed: r.replayed === true };
    });
    gateway.addAgent(steady);
    await waitFor(() => gateway.agents.running().length === 2, { what: "both agents running" });
    const id = gateway.tasks.create({ type: "open-vent", auction: { bidWindowMs: 300 } }, "code").id;
    const done = await gateway.tasks.waitFor(id);
    expect(done).toMatchObject({ state: "done", winner: "steady", excluded: ["ghost"], attempt: 2, result: { by: "steady", replayed: true } });
    const events = gateway.tasks.events(id);
    expect(events.find((e) => e.event === "reannounced")).toMatchObject({ agent: "ghost", attempt: 1 });
    const accepted = gateway.store.audit.list({ point: "gh1/vent" }).filter((r) => r.outcome === "accepted" && r.reason === `task ${id}`);
    expect(accepted.map((r) => r.actor.id)).toEqual(["ghost"]);
  });

});
