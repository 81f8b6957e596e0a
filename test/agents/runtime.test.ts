import { describe, expect, it } from "vitest";
import { Agent, type Perception } from "../../src/agents/agent.js";
import { LosError } from "../../src/core/errors.js";
import { T0, deferred, harness } from "./helpers.js";

const make = (id: string, caps: ConstructorParameters<typeof Agent>[1] = {}) => new Agent(id, { register: false, ...caps });

describe("AgentRuntime", () => {
  it("decides once at start, then on readings the agent may read", async () => {
    const h = harness();
    const seen: Perception[] = [];
    const agent = make("a1", { capabilities: { read: ["gh1/temperature"] } }).onDecide((p) => void seen.push(p));
    h.runtime.add(agent);
    h.runtime.start();
    await h.runtime.settled();
    expect(seen).toEqual([{ trigger: "start", readings: [] }]);
    await h.feed(h.good("gh1/temperature", 20), h.good("gh1/humidity", 60));
    expect(seen[1]).toEqual({ trigger: "reading", readings: [h.good("gh1/temperature", 20)] });
    await h.feed(h.good("gh1/humidity", 61));
    expect(seen).toHaveLength(2);
    expect(h.runtime.stats()[0]).toMatchObject({ id: "a1", state: "running", decisions: 2, failures: 0 });
  });

  it("does not deliver before start", async () => {
    const h = harness();
    const seen: Perception[] = [];
    h.runtime.add(make("a1", { capabilities: { read: ["*"] } }).onDecide((p) => void seen.push(p)));
    await h.feed(h.good("gh1/temperature", 20));
    expect(seen).toEqual([]);
  });

  it("coalesces readings to the latest per point while the agent is busy", async () => {
    const h = harness();
    const gate = deferred();
    const seen: Perception[] = [];
    const agent = make("a1", { capabilities: { read: ["gh1/*"] } }).onDecide(async (p) => {
      seen.push(p);
      if (seen.length === 2) await gate.promise;
    });
    h.runtime.add(agent);
    h.runtime.start();
    await h.runtime.settled();
    h.runtime.deliver([h.good("gh1/t", 1)]);
    // wait until the second decision has started and is blocked on the gate
    for (let i = 0; i < 1000 && seen.length < 2; i++) await new Promise((r) => setImmediate(r));
    expect(seen).toHaveLength(2);
    h.runtime.deliver([h.good("gh1/t", 2), h.good("gh1/h", 50)]);
    h.runtime.deliver([h.good("gh1/t", 3)]);
    h.runtime.deliver([h.good("gh1/t", 4)]);
    gate.resolve();
    await h.runtime.settled();
    expect(seen).toHaveLength(3);
    expect(seen[2]!.trigger).toBe("reading");
    expect(seen[2]!.readings.map((r) => [r.point, r.value])).toEqual([
      ["gh1/t", 4],
      ["gh1/h", 50],
    ]);
  });

  it("decides on its timer (the injected clock) and stops the timer on stop", async () => {
    const h = harness();
    const triggers: string[] = [];
    h.runtime.add(make("a1", { everyMs: 1000 }).onDecide((p) => void triggers.push(`${p.trigger}@${h.clock.now() - T0}`)));
    h.runtime.start();
    await h.runtime.settled();
    h.clock.advance(999);
    await h.runtime.settled();
    expect(triggers).toEqual(["start@0"]);
    h.clock.advance(1);
    await h.runtime.settled();
    h.clock.advance(1000);
    await h.runtime.settled();
    expect(triggers).toEqual(["start@0", "timer@1000", "timer@2000"]);
    expect(h.clock.pendingTimers()).toBe(1);
    await h.runtime.stop();
    expect(h.clock.pendingTimers()).toBe(0);
    h.clock.advance(5000);
    await h.runtime.settled();
    expect(triggers).toHaveLength(3);
  });

  describe("the context checks capabilities", () => {
    it("read: its read and write points only; value(): good readings only", async () => {
      const h = harness();
      h.live.update([h.good("gh1/t", 21), h.good("gh1/heater", true), h.good("gh2/t", 5), h.bad("gh1/h")]);
      const agent = make("a1", { capabilities: { read: ["gh1/t", "gh1/h"], write: ["gh1/heater"] } });
      h.runtime.add(agent);
      h.runtime.start();
      await h.runtime.settled();
      const ctx = agent.context!;
      expect(ctx.agentId).toBe("a1");
      expect(ctx.read("gh1/t")?.value).toBe(21);
      expect(ctx.value("gh1/heater")).toBe(true);
      expect(ctx.read("gh1/h")?.quality).toBe("bad");
      expect(ctx.value("gh1/h")).toBeUndefined();
      expect(ctx.value("gh1/t")).toBe(21);
      expect(() => ctx.read("gh2/t")).toThrowError(expect.objectContaining({ code: "LOS_E_READ_NOT_PERMITTED" }));
      expect(() => ctx.value("gh2/t")).toThrowError(LosError);
    });

    it("publish: actions always, granted sub-topics, `*` for any; never wildcards or climbing out", async () => {
      const h = harness();
      const a = make("a1", { capabilities: { publish: ["report", "stats/daily"] } });
      const b = make("b1", { capabilities: { publish: ["*"] } });
      h.runtime.add(a);
      h.runtime.add(b);
      h.runtime.start();
      await h.runtime.settled();
      await a.context!.publish("actions", { x: 1 });
      await a.context!.publish("report", { ok: true });
      await a.context!.publish("stats/daily", 3);
      await b.context!.publish("anything-goes", 1);
      for (const sub of ["other", "report/extra", "../status", "a/#", "+", "", "x//y"]) {
        await expect(a.context!.publish(sub, 1), sub).rejects.toMatchObject({ code: "LOS_E_PUBLISH_NOT_PERMITTED" });
      }
      await expect(b.context!.publish("a/+", 1)).rejects.toMatchObject({ code: "LOS_E_PUBLISH_NOT_PERMITTED" });
      expect(h.published).toEqual([
        { agent: "a1", sub: "actions", payload: { x: 1 } },
        { agent: "a1", sub: "report", payload: { ok: true } },
        { agent: "a1", sub: "stats/daily", payload: 3 },
        { agent: "b1", sub: "anything-goes", payload: 1 },
      ]);
    });

    it("actuate goes to the runtime's single write path as this agent and counts outcomes", async () => {
      const h = harness();
      h.refuse.add("gh1/fan");
      const agent = make("a1", { tenant: "farm", capabilities: { write: ["gh1/*"] } });
      h.runtime.add(agent);
      h.runtime.start();
      await h.runtime.settled();
      expect(await agent.context!.actuate("gh1/heater", true, "cold")).toMatchObject({ ok: true });
      expect(await agent.context!.actuate("gh1/fan", true, "hot")).toMatchObject({ ok: false, code: "LOS_E_WRITE_INTERLOCK" });
      expect(h.actuations.map((a) => a.actor)).toEqual([
        { kind: "agent", id: "a1", tenant: "farm" },
        { kind: "agent", id: "a1", tenant: "farm" },
      ]);
      expect(h.runtime.stats()[0]).toMatchObject({ tenant: "farm", actuations: 1, refused: 1 });
    });
  });

  describe("failing agents", () => {
    it("after 5 consecutive failures the agent is failed and onFailed runs once; others are unaffected", async () => {
      const h = harness();
      let badCalls = 0;
      let goodCalls = 0;
      h.runtime.add(make("bad", { capabilities: { read: ["gh1/*"] } }).onDecide(() => {
        badCalls++;
        throw new Error(`boom ${badCalls}`);
      }));
      h.runtime.add(make("good", { capabilities: { read: ["gh1/*"] } }).onDecide(() => void goodCalls++));
      h.runtime.start();
      await h.runtime.settled();
      for (let i = 0; i < 7; i++) await h.feed(h.good("gh1/t", i));
      expect(badCalls).toBe(5);
      expect(goodCalls).toBe(8);
      expect(h.failed).toEqual(["bad"]);
      const [bad, good] = h.runtime.stats();
      expect(bad).toMatchObject({ state: "failed", failures: 5, lastError: { code: "LOS_E_AGENT_FAILED", message: "boom 5", ts: T0 } });
      expect(good).toMatchObject({ state: "running", failures: 0, decisions: 8 });
      const badStatuses = h.statuses.filter((s) => s.agent === "bad").map((s) => s.status);
      expect(badStatuses.map((s) => s.state)).toEqual(["created", "starting", "running", "failed"]);
      expect(badStatuses.at(-1)).toEqual({ state: "failed", ts: T0, error: "boom 5" });
      // a failed agent is not restarted by start() and is reported failed after stop()
      h.runtime.start();
      await h.runtime.stop();
      expect(h.runtime.stats().map((s) => s.state)).toEqual(["failed", "stopped"]);
    });

    it("a success resets the count of consecutive failures", async () => {
      const h = harness();
      let n = 0;
      h.runtime.add(make("flaky", { capabilities: { read: ["gh1/*"] } }).onDecide(() => {
        n++;
        if (n !== 5) throw new Error("flaky");
      }));
      h.runtime.start();
      await h.runtime.settled();
      for (let i = 0; i < 7; i++) await h.feed(h.good("gh1/t", i));
      // decisions 1-4 fail, 5 succeeds, 6-8 fail: never 5 in a row
      expect(h.runtime.stats()[0]).toMatchObject({ state: "running", failures: 7 });
      expect(h.failed).toEqual([]);
    });

    it("the failure limit is configurable and the failed agent's signal is aborted", async () => {
      const h = harness({ maxConsecutiveFailures: 1 });
      const agent = make("a1").onDecide(() => Promise.reject(new LosError("LOS_E_READ_NOT_PERMITTED", "nope")));
      h.runtime.add(agent);
      h.runtime.start();
      await h.runtime.settled();
      expect(h.failed).toEqual(["a1"]);
      expect(agent.context!.signal.aborted).toBe(true);
      expect(h.runtime.stats()[0]!.lastError).toMatchObject({ code: "LOS_E_AGENT_FAILED", message: "nope" });
    });

    it("settled() resolves when a reading arrived during the decision that failed for good", async () => {
      const h = harness({ maxConsecutiveFailures: 1 });
      h.runtime.add(make("a1", { capabilities: { read: ["gh1/*"] } }).onDecide(() => {
        h.runtime.deliver([h.good("gh1/t", 1)]);
        throw new Error("boom");
      }));
      h.runtime.start();
      await h.runtime.settled();
      expect(h.runtime.stats()[0]!.state).toBe("failed");
    });

    it("a throwing task counts as a failure", async () => {
      const h = harness({ maxConsecutiveFailures: 2 });
      const agent = make("a1");
      h.runtime.add(agent);
      h.runtime.start();
      await h.runtime.settled();
      agent.assignTask(() => {
        throw new Error("task broke");
      });
      await h.runtime.settled();
      expect(h.runtime.stats()[0]).toMatchObject({ failures: 1, tasksDone: 0, state: "running" });
    });
  });

  describe("tasks", () => {
    it("tasks assigned before start run at start, later ones at once, before the decision", async () => {
      const h = harness();
      const log: string[] = [];
      const agent = make("a1").onDecide((p) => void log.push(`decide:${p.trigger}`));
      agent.assignTask(() => void log.push("t1"));
      agent.assignTask({ name: "named", run: async () => void log.push("t2") });
      h.runtime.add(agent);
      h.runtime.start();
      await h.runtime.settled();
      agent.assignTask(() => void log.push("t3"));
      await h.runtime.settled();
      expect(log).toEqual(["t1", "t2", "decide:start", "t3", "decide:timer"]);
      expect(h.runtime.stats()[0]!.tasksDone).toBe(3);
    });
  });

  describe("lifecycle", () => {
    it("refuses a second agent with the same id", () => {
      const h = harness();
      h.runtime.add(make("a1"));
      expect(() => h.runtime.add(make("a1"))).toThrowError(expect.objectContaining({ code: "LOS_E_AGENT_CONFIG" }));
    });

    it("an agent added to a running runtime starts at once", async () => {
      const h = harness();
      h.runtime.start();
      const triggers: string[] = [];
      h.runtime.add(make("late").onDecide((p) => void triggers.push(p.trigger)));
      await h.runtime.settled();
      expect(triggers).toEqual(["start"]);
      expect(h.runtime.get("late")?.id).toBe("late");
      expect(h.runtime.agents().map((a) => a.id)).toEqual(["late"]);
    });

    it("stop waits for a running decision, aborts the signal, detaches the context and reports stopped", async () => {
      const h = harness();
      const gate = deferred();
      let signal: AbortSignal | undefined;
      let finished = false;
      const agent = make("a1").onDecide(async (_p, ctx) => {
        signal = ctx.signal;
        await gate.promise;
        finished = true;
      });
      h.runtime.add(agent);
      h.runtime.start();
      for (let i = 0; i < 1000 && !signal; i++) await new Promise((r) => setImmediate(r));
      const stopping = h.runtime.stop();
      expect(signal!.aborted).toBe(true);
      expect(signal!.reason).toMatchObject({ code: "LOS_E_CLOSED" });
      gate.resolve();
      await stopping;
      expect(finished).toBe(true);
      expect(agent.context).toBeUndefined();
      expect(h.statuses.map((s) => s.status.state)).toEqual(["created", "starting", "running", "stopping", "stopped"]);
    });

    it("a decision that throws because it was stopped is not counted as a failure", async () => {
      const h = harness();
      const gate = deferred();
      let started = false;
      h.runtime.add(make("a1").onDecide(async (_p, ctx) => {
        started = true;
        await gate.promise;
        ctx.signal.throwIfAborted();
      }));
      h.runtime.start();
      for (let i = 0; i < 1000 && !started; i++) await new Promise((r) => setImmediate(r));
      const stopping = h.runtime.stop();
      gate.resolve();
      await stopping;
      expect(h.runtime.stats()[0]).toMatchObject({ state: "stopped", failures: 0 });
    });
  });
});
