import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "../../src/agents/agent.js";
import { compileGrants } from "../../src/agents/grants.js";
import { WritePermissions } from "../../src/agents/permissions.js";
import { SOURCES, supervisorHarness } from "./supervisor-helpers.js";

const ALL = { read: ["*"], write: ["*"] };

describe("grants and tenant visibility", () => {
  let h: ReturnType<typeof supervisorHarness> | undefined;
  afterEach(async () => {
    await h?.supervisor.stop();
    h = undefined;
  });

  it("a tenant agent uses its tenant's devices and the tenant's points on unowned devices, nothing else", () => {
    const g = compileGrants({ tenant: "growers", capabilities: { ...ALL, publish: ["news"] } }, SOURCES);
    expect(["gh1/t", "gh2/t", "site/outdoor", "site/indoor"].map((p) => [p, g.canRead(p), g.canWrite(p)])).toEqual([
      ["gh1/t", true, true],
      ["gh2/t", false, false], // another tenant's device
      ["site/outdoor", true, true], // unowned, listed in tenants[growers].points
      ["site/indoor", false, false], // unowned, not listed
    ]);
    expect([g.canPublish("news"), g.canPublish("actions"), g.canPublish("other"), g.canPublish("news/../x"), g.canPublish("a/+")]).toEqual([true, true, false, false, false]);
  });

  it("capabilities still bound a tenant agent inside its visibility; the site's agents are bound by capabilities only", () => {
    const narrow = compileGrants({ tenant: "growers", capabilities: { read: ["gh1/t"], write: ["gh1/fan"] } }, SOURCES);
    expect([narrow.canRead("gh1/t"), narrow.canRead("gh1/fan"), narrow.canRead("gh1/h"), narrow.canWrite("gh1/t")]).toEqual([true, true, false, false]);
    const site = compileGrants({ capabilities: ALL }, SOURCES);
    expect(["gh1/t", "gh2/t", "site/indoor"].every((p) => site.canRead(p) && site.canWrite(p))).toBe(true);
  });

  it("WritePermissions applies the same rule to agents and tenant MQTT users", () => {
    const perms = new WritePermissions({ ...SOURCES, agentWritePatterns: (id) => (id === "g" ? ["*"] : undefined) });
    const agent = { kind: "agent" as const, id: "g", tenant: "growers" };
    const user = { kind: "mqtt" as const, id: "u", role: "tenant", tenant: "growers" };
    for (const actor of [agent, user]) {
      expect(["gh1/fan", "gh2/fan", "site/outdoor", "site/indoor"].map((p) => perms.canWrite(actor, p))).toEqual([true, false, true, false]);
    }
    expect(perms.canWrite({ kind: "agent", id: "g" }, "site/indoor")).toBe(true); // the site's own agent
    expect(perms.canWrite({ kind: "agent", id: "nobody", tenant: "growers" }, "gh1/fan")).toBe(false); // no write capability
    expect(perms.canWrite({ kind: "mqtt", id: "x", role: "viewer" }, "site/indoor")).toBe(false);
  });

  it("an in-process tenant agent is fed and may read only what its tenant sees", async () => {
    h = supervisorHarness();
    const seen: string[] = [];
    const agent = new Agent("g", { register: false, tenant: "growers", capabilities: ALL }).onDecide((p) => void seen.push(...p.readings.map((r) => r.point)));
    h.add(agent);
    await h.supervisor.start();
    await h.feed(h.good("gh1/t", 1), h.good("gh2/t", 2), h.good("site/outdoor", 3), h.good("site/indoor", 4));
    expect(seen).toEqual(["gh1/t", "site/outdoor"]);
    const ctx = agent.context!;
    expect(ctx.value("gh1/t")).toBe(1);
    expect(() => ctx.read("gh2/t")).toThrow(expect.objectContaining({ code: "LOS_E_READ_NOT_PERMITTED" }));
    expect(() => ctx.read("site/indoor")).toThrow(expect.objectContaining({ code: "LOS_E_READ_NOT_PERMITTED" }));
    expect(h.supervisor.statsOf("g")!.messagesIn).toBe(2);
  });
});

describe("tenant quotas at run time", () => {
  it("an agent added in code must fit its tenant's quotas (LOS_E_TENANT_QUOTA)", async () => {
    const { checkTenantQuota } = await import("../../src/agents/tenant-quota.js");
    const { codeAgentManifest } = await import("../../src/agents/gateway-agents.js");
    const m = (id: string, tenant = "growers") => codeAgentManifest(new Agent(id, { register: false, tenant }), { limits: { messagesPerSecond: 10 } });
    const current = [m("a"), m("b"), m("x", "orchard")];
    expect(() => checkTenantQuota("growers", { maxAgents: 3, messagesPerSecond: 30 }, current, m("c"))).not.toThrow();
    expect(() => checkTenantQuota("growers", { maxAgents: 2 }, current, m("c"))).toThrow(expect.objectContaining({ code: "LOS_E_TENANT_QUOTA", details: expect.objectContaining({ quota: "maxAgents", used: 3 }) }));
    expect(() => checkTenantQuota("growers", { messagesPerSecond: 25 }, current, m("c"))).toThrow(expect.objectContaining({ code: "LOS_E_TENANT_QUOTA", details: expect.objectContaining({ quota: "messagesPerSecond", used: 30 }) }));
  });
});
