import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "../../src/agents/agent.js";
import type { AgentExit } from "../../src/agents/hosts/agent-host.js";
import { resolveManifest } from "../../src/config/agent-manifest.js";
import { AgentConfig } from "../../src/config/agent-schema.js";
import { validateSchema } from "../../src/config/validate.js";
import type { CoordinationRequest } from "../../src/core/task-types.js";
import type { Actor } from "../../src/core/types.js";
import { supervisorHarness } from "./supervisor-helpers.js";

const make = (id: string, options: ConstructorParameters<typeof Agent>[1] = {}) => new Agent(id, { register: false, ...options });
const never = new AbortController().signal;

let h: ReturnType<typeof supervisorHarness> | undefined;
afterEach(async () => {
  await h?.supervisor.stop();
  h = undefined;
});

describe("Supervisor and tasks", () => {
  it("asks a running agent through its host; LOS_E_AGENT_UNKNOWN for an agent not running", async () => {
    h = supervisorHarness();
    h.add(make("bidder", { tenant: "growers" }).onCallForProposals((c) => ({ value: Number(c.params.kw) * 2 })).onTask("shed", () => "shed"));
    const cfp = { taskId: "t1", type: "shed", requires: [], params: { kw: 3 }, priority: 5, objective: "max" as const, bidDeadline: 0, round: 1 };
    await expect(h.supervisor.ask("bidder", { kind: "cfp", cfp }, never)).rejects.toMatchObject({ code: "LOS_E_AGENT_UNKNOWN" });
    await h.supervisor.start();
    expect(await h.supervisor.ask("bidder", { kind: "cfp", cfp }, never)).toEqual({ value: 6 });
    expect(await h.supervisor.ask("bidder", { kind: "run", run: { taskId: "t1", type: "shed", params: {}, attempt: 1 } }, never)).toEqual({ ok: true, result: "shed" });
    await expect(h.supervisor.ask("ghost", { kind: "cfp", cfp }, never)).rejects.toMatchObject({ code: "LOS_E_AGENT_UNKNOWN" });
  });

  it("skillsOf is the manifest's skills and the running agent's; running() lists agents with tenant and skills", async () => {
    h = supervisorHarness();
    h.add(make("a1", { tenant: "growers" }).onTask("heat", () => 1));
    h.addConfig({ id: "remote", tenant: "orchard", isolation: "external", capabilities: {}, skills: ["pruning"] });
    expect(h.supervisor.skillsOf("remote")).toEqual(["pruning"]);
    await h.supervisor.start();
    expect(h.supervisor.skillsOf("a1")).toEqual(["heat"]);
    expect(h.supervisor.skillsOf("remote")).toEqual(["pruning", "remote-skill"]);
    expect(h.supervisor.running()).toEqual([
      { id: "a1", tenant: "growers", skills: ["heat"] },
      { id: "remote", tenant: "orchard", skills: ["pruning", "remote-skill"] },
    ]);
    expect(h.supervisor.skillsOf("nobody")).toEqual([]);
  });

  it("heartbeats call onHeartbeat; a crash and a stop call onExit with the reason", async () => {
    const beats: string[] = [];
    const exits: { agent: string; reason: AgentExit }[] = [];
    h = supervisorHarness({ onHeartbeat: (id) => void beats.push(id), onExit: (agent, reason) => void exits.push({ agent, reason }) });
    h.add(make("steady").onDecide(() => {}), { heartbeatMs: 100 });
    h.add(
      make("flaky", { capabilities: { read: ["gh1/*"] } }).onDecide(() => {
        throw new Error("broken decision");
      }),
      { heartbeatMs: 100, restart: { strategy: "temporary" } },
    );
    await h.supervisor.start();
    await h.settle();
    h.clock.advance(100);
    expect(beats).toContain("steady");
    for (let i = 0; i < 4; i++) await h.feed(h.good("gh1/t", i));
    await h.settle();
    expect(exits).toEqual([{ agent: "flaky", reason: { code: "LOS_E_AGENT_FAILED", message: "broken decision" } }]);
    await h.supervisor.stop();
    expect(exits.slice(1)).toEqual([{ agent: "steady", reason: { code: "LOS_E_CLOSED", message: 'agent "steady" was stopped' } }]);
  });

  it("coordinate goes to the gateway as the agent, is rate-limited like messages, and is refused when there is no task layer", async () => {
    const seen: { actor: Actor; request: CoordinationRequest }[] = [];
    h = supervisorHarness({ coordinate: (actor, request) => (seen.push({ actor, request }), { ok: true }) });
    const agent = make("a1", { tenant: "growers" });
    h.add(agent, { limits: { messagesPerSecond: 2 } });
    await h.supervisor.start();
    const ctx = agent.context!;
    expect(await ctx.facts.put("k", 1, { scope: "tenant" })).toEqual({ ok: true });
    expect(await ctx.release("gh1/heater")).toEqual({ ok: true });
    expect(await ctx.release("gh1/heater")).toMatchObject({ ok: false, code: "LOS_E_AGENT_RATE_LIMITED" });
    expect(seen).toEqual([
      { actor: { kind: "agent", id: "a1", tenant: "growers" }, request: { op: "fact.put", key: "k", value: 1, scope: "tenant" } },
      { actor: { kind: "agent", id: "a1", tenant: "growers" }, request: { op: "lease.release", point: "gh1/heater" } },
    ]);
    expect(h.supervisor.statsOf("a1")).toMatchObject({ messagesOut: 0, rateLimited: 1 });

    const bare = supervisorHarness();
    const b = make("b1");
    bare.add(b);
    await bare.supervisor.start();
    expect(await b.context!.lease("gh1/heater", 1000)).toMatchObject({ ok: false, code: "LOS_E_REQUEST_INVALID" });
    await bare.supervisor.stop();
  });

  it("a task run's writes reach the gateway's actuation with their idempotency key", async () => {
    const keys: (string | undefined)[] = [];
    h = supervisorHarness({
      actuate: async (_actor, point, value, _reason, key) => (keys.push(key), { ok: true, auditId: keys.length, point, value }),
    });
    h.add(make("a1", { tenant: "growers", capabilities: { write: ["gh1/heater"] } }).onTask("heat", async (_r, ctx) => ctx.actuate("gh1/heater", true, "on")));
    await h.supervisor.start();
    const outcome = await h.supervisor.ask("a1", { kind: "run", run: { taskId: "t7", type: "heat", params: {}, attempt: 1 } }, never);
    expect(outcome).toMatchObject({ ok: true, result: { ok: true, point: "gh1/heater" } });
    expect(keys).toEqual(["task:t7:gh1/heater:1"]);
  });
});

describe("manifest skills", () => {
  it("are validated names, optional, and filled in by resolveManifest", () => {
    const base = { id: "a1", capabilities: {} };
    expect(validateSchema(AgentConfig, { ...base, skills: ["cooling", "shed-load", "v1.2_x"] })).toEqual([]);
    expect(validateSchema(AgentConfig, { ...base, skills: ["has space"] })).not.toEqual([]);
    expect(validateSchema(AgentConfig, { ...base, skills: ["a", "a"] })).not.toEqual([]);
    expect(resolveManifest(base).skills).toEqual([]);
    expect(resolveManifest({ ...base, skills: ["cooling"] }).skills).toEqual(["cooling"]);
  });
});
