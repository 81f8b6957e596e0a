import { describe, expect, it } from "vitest";
import { Agent, taskName } from "../../src/agents/agent.js";
import { harness } from "./helpers.js";

describe("Agent", () => {
  it("validates its id", () => {
    for (const bad of ["", "a b", "a/b", "x".repeat(65)]) {
      expect(() => new Agent(bad, { register: false })).toThrowError(expect.objectContaining({ code: "LOS_E_AGENT_CONFIG" }));
    }
    const a = new Agent("agent_1-x", { register: false, tenant: "farm", everyMs: 100 });
    expect([a.id, a.tenant, a.everyMs, a.capabilities]).toEqual(["agent_1-x", "farm", 100, {}]);
  });

  it("action() needs a running agent", async () => {
    const a = new Agent("a1", { register: false });
    await expect(a.action("A")).rejects.toMatchObject({ code: "LOS_E_AGENT_UNKNOWN" });
  });

  it("records actions in order, runs defined handlers and publishes each on `actions`", async () => {
    const h = harness();
    const a = new Agent("a1", { register: false, capabilities: { write: ["gh1/fan"] } });
    a.defineAction("ventilate", (ctx, params) => ctx.actuate("gh1/fan", (params as { on: boolean }).on, "ventilate"));
    h.runtime.add(a);
    h.runtime.start();
    await h.runtime.settled();
    const first = await a.action("A");
    h.clock.advance(10);
    const second = await a.action("ventilate", { on: true });
    expect(first).toEqual({ agent: "a1", action: "A", ts: h.clock.now() - 10 });
    expect(second).toEqual({
      agent: "a1",
      action: "ventilate",
      params: { on: true },
      ts: h.clock.now(),
      result: { ok: true, auditId: 1, point: "gh1/fan", value: true },
    });
    expect(a.history).toEqual([first, second]);
    expect(h.published.map((p) => [p.sub, (p.payload as { action: string }).action])).toEqual([
      ["actions", "A"],
      ["actions", "ventilate"],
    ]);
    expect(h.actuations.map((x) => x.point)).toEqual(["gh1/fan"]);
  });

  it("taskName", () => {
    function water() {}
    expect(taskName(water)).toBe("water");
    expect(taskName({ name: "feed", run: () => {} })).toBe("feed");
    expect(taskName(() => {})).toBe("task");
  });
});
