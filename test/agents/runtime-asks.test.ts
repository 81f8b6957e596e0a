import { describe, expect, it } from "vitest";
import { Agent } from "../../src/agents/agent.js";
import type { TaskContext } from "../../src/agents/context.js";
import { LosError } from "../../src/core/errors.js";
import type { CallForProposals, CoordinationReply, CoordinationRequest, TaskAward, TaskRun } from "../../src/core/task-types.js";
import type { Actor, Value } from "../../src/core/types.js";
import { deferred, harness } from "./helpers.js";

const make = (id: string, options: ConstructorParameters<typeof Agent>[1] = {}) => new Agent(id, { register: false, ...options });

const cfp = (over: Partial<CallForProposals> = {}): CallForProposals => ({
  taskId: "t1",
  type: "heat",
  requires: [],
  params: {},
  priority: 5,
  objective: "max",
  bidDeadline: 0,
  round: 1,
  ...over,
});
const award = (over: Partial<TaskAward> = {}): TaskAward => ({ taskId: "t1", type: "heat", params: {}, attempt: 1, price: 3, leaseMs: 1000, ...over });
const run = (over: Partial<TaskRun> = {}): TaskRun => ({ taskId: "t1", type: "heat", params: {}, attempt: 1, ...over });
const never = new AbortController().signal;

/** a runtime whose actuations record their idempotency keys and whose coordination is recorded */
function setup(reply: (r: CoordinationRequest) => CoordinationReply = () => ({ ok: true })) {
  const keyed: { point: string; value: Value; key: string | undefined }[] = [];
  const coordinated: { actor: Actor; request: CoordinationRequest }[] = [];
  const h = harness({
    actuate: async (_actor, point, value, _reason, key) => {
      keyed.push({ point, value, key });
      return { ok: true, auditId: keyed.length, point, value };
    },
    coordinate: async (actor, request) => {
      coordinated.push({ actor, request });
      return reply(request);
    },
  });
  return { ...h, keyed, coordinated };
}

describe("Agent task API", () => {
  it("skills come from the options and from every onTask type; bad names are LOS_E_AGENT_CONFIG", () => {
    const a = make("a1", { skills: ["heating"] }).onTask("heat", () => 1);
    expect(a.skills).toEqual(["heating", "heat"]);
    expect(a.taskTypes()).toEqual(["heat"]);
    expect(() => make("a2", { skills: ["no spaces"] })).toThrow(expect.objectContaining({ code: "LOS_E_AGENT_CONFIG" }) as Error);
    expect(() => make("a3").onTask("", () => 1)).toThrow(expect.objectContaining({ code: "LOS_E_AGENT_CONFIG" }) as Error);
  });
});

describe("AgentRuntime.ask", () => {
  it("bids from the agent's state at once; no bid function, null or a throw is no bid; garbage is passed on", async () => {
    const h = setup();
    const bidder = make("bidder", { capabilities: { read: ["gh1/temperature"] } }).onCallForProposals((c, ctx) => {
      const t = ctx.value("gh1/temperature");
      if (c.params.mode === "garbage") return { value: "lots" } as unknown as { value: number };
      if (c.params.mode === "throw") throw new Error("cannot think");
      return typeof t === "number" ? { value: 30 - t, note: "degrees to spare" } : null;
    });
    h.runtime.add(bidder);
    h.runtime.add(make("silent"));
    h.runtime.start();
    await h.runtime.settled();
    expect(await h.runtime.ask("bidder", { kind: "cfp", cfp: cfp() }, never)).toBeUndefined();
    h.live.update([h.good("gh1/temperature", 22)]);
    expect(await h.runtime.ask("bidder", { kind: "cfp", cfp: cfp() }, never)).toEqual({ value: 8, note: "degrees to spare" });
    expect(await h.runtime.ask("bidder", { kind: "cfp", cfp: cfp({ params: { mode: "garbage" } }) }, never)).toEqual({ value: "lots" });
    expect(await h.runtime.ask("bidder", { kind: "cfp", cfp: cfp({ params: { mode: "throw" } }) }, never)).toBeUndefined();
    expect(await h.runtime.ask("silent", { kind: "cfp", cfp: cfp() }, never)).toBeUndefined();
    expect(h.runtime.statsOf("bidder")!.bids).toBe(2);
  });

  it("awards: accepted for a type with a handler, refused without; onAward decides and a throw refuses", async () => {
    const h = setup();
    let busy = false;
    h.runtime.add(make("worker").onTask("heat", () => "warm"));
    h.runtime.add(make("picky").onTask("heat", () => 1).onAward((a) => (busy ? { accept: false, reason: "busy" } : a.price >= 2)));
    h.runtime.add(make("broken").onTask("heat", () => 1).onAward(() => {
      throw new Error("oops");
    }));
    h.runtime.start();
    expect(await h.runtime.ask("worker", { kind: "award", award: award() }, never)).toEqual({ accept: true });
    const none = await h.runtime.ask("worker", { kind: "award", award: award({ type: "cool" }) }, never);
    expect(none.accept).toBe(false);
    expect(none.reason).toMatch(/no handler for task type "cool"/);
    expect(await h.runtime.ask("picky", { kind: "award", award: award({ price: 1 }) }, never)).toEqual({ accept: false });
    expect(await h.runtime.ask("picky", { kind: "award", award: award({ price: 2 }) }, never)).toEqual({ accept: true });
    busy = true;
    expect(await h.runtime.ask("picky", { kind: "award", award: award() }, never)).toEqual({ accept: false, reason: "busy" });
    expect(await h.runtime.ask("broken", { kind: "award", award: award() }, never)).toEqual({ accept: false, reason: "onAward threw: oops" });
  });

  it("runs a task: writes carry task:<id>:<point>:<n>, the same in every attempt; the result is the outcome", async () => {
    const h = setup();
    const agent = make("heater").onTask("heat", async (r, ctx) => {
      await ctx.actuate("gh1/heater", true, "heat on");
      await ctx.actuate("gh1/fan", 1, "stir");
      await ctx.actuate("gh1/heater", false, "heat off");
      return { heatedFor: r.params.minutes, attempt: ctx.task.attempt };
    });
    h.runtime.add(agent);
    h.runtime.start();
    const first = await h.runtime.ask("heater", { kind: "run", run: run({ params: { minutes: 5 } }) }, never);
    expect(first).toEqual({ ok: true, result: { heatedFor: 5, attempt: 1 } });
    const keys = ["task:t1:gh1/heater:1", "task:t1:gh1/fan:1", "task:t1:gh1/heater:2"];
    expect(h.keyed.map((k) => k.key)).toEqual(keys);
    await h.runtime.ask("heater", { kind: "run", run: run({ attempt: 2 }) }, never);
    expect(h.keyed.slice(3).map((k) => k.key)).toEqual(keys);
    // outside a run, writes carry no key
    await agent.context!.actuate("gh1/fan", 0, "decision");
    expect(h.keyed.at(-1)!.key).toBeUndefined();
    expect(h.runtime.statsOf("heater")).toMatchObject({ tasksDone: 2, tasksFailed: 0, actuations: 7 });
  });

  it("a run without a handler fails with LOS_E_TASK_STATE; a throwing handler with LOS_E_AGENT_FAILED", async () => {
    const h = setup();
    h.runtime.add(make("a1").onTask("heat", () => {
      throw new Error("heater jammed");
    }));
    h.runtime.start();
    const none = await h.runtime.ask("a1", { kind: "run", run: run({ type: "cool" }) }, never);
    expect(none).toMatchObject({ ok: false, error: { code: "LOS_E_TASK_STATE" } });
    const threw = await h.runtime.ask("a1", { kind: "run", run: run() }, never);
    expect(threw).toEqual({ ok: false, error: { code: "LOS_E_AGENT_FAILED", message: "heater jammed" } });
    expect(h.runtime.statsOf("a1")).toMatchObject({ tasksFailed: 2, failures: 0, state: "running" });
  });

  it("runs one at a time in order; cancel aborts the matching attempt's signal and the outcome says so", async () => {
    const h = setup();
    const order: string[] = [];
    const started = deferred();
    const agent = make("a1").onTask("job", async (r, ctx: TaskContext) => {
      order.push(`start ${r.taskId}`);
      if (r.params.wait) {
        started.resolve();
        await new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true }));
      }
      order.push(`end ${r.taskId}`);
      return r.taskId;
    });
    h.runtime.add(agent);
    h.runtime.start();
    const long = h.runtime.ask("a1", { kind: "run", run: run({ taskId: "long", type: "job", params: { wait: true } }) }, never);
    const next = h.runtime.ask("a1", { kind: "run", run: run({ taskId: "next", type: "job" }) }, never);
    await started.promise;
    // decisions go on while a run is under way
    agent.assignTask(() => order.push("assigned"));
    await h.runtime.settled();
    expect(order).toEqual(["start long", "assigned"]);
    await h.runtime.ask("a1", { kind: "cancel", taskId: "long", attempt: 2, reason: "other attempt" }, never);
    await h.runtime.ask("a1", { kind: "cancel", taskId: "long", attempt: 1, reason: "operator" }, never);
    const outcome = await long;
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? undefined : outcome.error).toMatchObject({ code: "LOS_E_TASK_STATE", message: expect.stringMatching(/cancelled: operator/) as string });
    expect(await next).toEqual({ ok: true, result: "next" });
    expect(order).toEqual(["start long", "assigned", "start next", "end next"]);
  });

  it("rejects with LOS_E_AGENT_UNKNOWN when the agent is not running or leaves while asked; with the reason on abort", async () => {
    const h = setup();
    const hang = new Promise<never>(() => {});
    h.runtime.add(make("slow").onCallForProposals(() => hang).onTask("heat", () => hang));
    await expect(h.runtime.ask("slow", { kind: "cfp", cfp: cfp() }, never)).rejects.toMatchObject({ code: "LOS_E_AGENT_UNKNOWN" });
    h.runtime.start();
    await expect(h.runtime.ask("nobody", { kind: "cfp", cfp: cfp() }, never)).rejects.toMatchObject({ code: "LOS_E_AGENT_UNKNOWN" });
    const caller = new AbortController();
    const bid = h.runtime.ask("slow", { kind: "cfp", cfp: cfp() }, caller.signal);
    caller.abort(new LosError("LOS_E_BID_LATE", "bid window closed"));
    await expect(bid).rejects.toMatchObject({ code: "LOS_E_BID_LATE" });
    const pending = [h.runtime.ask("slow", { kind: "cfp", cfp: cfp() }, never), h.runtime.ask("slow", { kind: "run", run: run() }, never)];
    await h.runtime.remove("slow");
    for (const p of pending) await expect(p).rejects.toMatchObject({ code: "LOS_E_AGENT_UNKNOWN" });
  });
});

describe("coordination helpers", () => {
  it("send coded requests as the agent, answer with the reply and never throw", async () => {
    const h = setup((r) => (r.op === "lease.acquire" ? { ok: false, code: "LOS_E_LEASE_CONFLICT", message: "held", holder: "other", until: 5 } : { ok: true }));
    const agent = make("a1", { tenant: "growers" });
    h.runtime.add(agent);
    h.runtime.start();
    const ctx = agent.context!;
    expect(await ctx.lease("gh1/heater", 2000)).toEqual({ ok: false, code: "LOS_E_LEASE_CONFLICT", message: "held", holder: "other", until: 5 });
    await ctx.reserve("gh1/heater", 10, 20);
    await ctx.release("gh1/heater");
    await ctx.announceIntent("gh1/heater", true, 500, "frost");
    await ctx.facts.put("load", 3.5, { scope: "tenant", ttlMs: 1000 });
    await ctx.facts.put("mine", 1);
    await ctx.facts.get("load", "tenant");
    await ctx.facts.delete("mine");
    await ctx.createTask({ type: "shed-load", params: { kw: 2 } });
    expect(h.coordinated.map((c) => c.request)).toEqual([
      { op: "lease.acquire", point: "gh1/heater", ttlMs: 2000 },
      { op: "lease.reserve", point: "gh1/heater", inMs: 10, forMs: 20 },
      { op: "lease.release", point: "gh1/heater" },
      { op: "intent", point: "gh1/heater", value: true, inMs: 500, reason: "frost" },
      { op: "fact.put", key: "load", value: 3.5, scope: "tenant", ttlMs: 1000 },
      { op: "fact.put", key: "mine", value: 1, scope: "agent" },
      { op: "fact.get", key: "load", scope: "tenant" },
      { op: "fact.delete", key: "mine", scope: "agent" },
      { op: "task.create", spec: { type: "shed-load", params: { kw: 2 } } },
    ]);
    expect(h.coordinated[0]!.actor).toEqual({ kind: "agent", id: "a1", tenant: "growers" });
  });

  it("a failing link becomes a coded reply; without a gateway every request is LOS_E_REQUEST_INVALID", async () => {
    const h = setup(() => {
      throw new LosError("LOS_E_CLOSED", "gateway closing");
    });
    const a = make("a1");
    h.runtime.add(a);
    h.runtime.start();
    expect(await a.context!.facts.get("x")).toEqual({ ok: false, code: "LOS_E_CLOSED", message: "gateway closing" });
    const alone = harness();
    const b = make("b1");
    alone.runtime.add(b);
    alone.runtime.start();
    expect(await b.context!.lease("gh1/heater", 1000)).toMatchObject({ ok: false, code: "LOS_E_REQUEST_INVALID" });
    const r = run({ taskId: "t9" });
    b.onTask("heat", (_run, ctx) => ctx.progress("half way"));
    expect(await alone.runtime.ask("b1", { kind: "run", run: r }, never)).toMatchObject({ ok: true, result: { ok: false, code: "LOS_E_REQUEST_INVALID" } });
  });

  it("a task run reports progress on its attempt", async () => {
    const h = setup();
    h.runtime.add(make("a1").onTask("heat", async (_r, ctx) => void (await ctx.progress("half way"))));
    h.runtime.start();
    await h.runtime.ask("a1", { kind: "run", run: run({ attempt: 4 }) }, never);
    expect(h.coordinated.map((c) => c.request)).toEqual([{ op: "task.progress", taskId: "t1", attempt: 4, note: "half way" }]);
  });
});

describe("assigned tasks (seed assignTask)", () => {
  it("are reported as task.local running → done, and failed with the error", async () => {
    const h = setup();
    const agent = make("a1");
    agent.assignTask({ name: "inspect", run: () => "ok" });
    agent.assignTask(function brokenTask() {
      throw new LosError("LOS_E_WRITE_INTERLOCK", "door open");
    });
    h.runtime.add(agent);
    h.runtime.start();
    await h.runtime.settled();
    const local = h.coordinated.map((c) => c.request).filter((r): r is Extract<CoordinationRequest, { op: "task.local" }> => r.op === "task.local");
    expect(local.map((r) => [r.name, r.phase])).toEqual([
      ["inspect", "running"],
      ["inspect", "done"],
      ["brokenTask", "running"],
      ["brokenTask", "failed"],
    ]);
    expect(local[0]!.localId).toBe(local[1]!.localId);
    expect(local[0]!.localId).not.toBe(local[2]!.localId);
    expect(local[3]!.error).toEqual({ code: "LOS_E_WRITE_INTERLOCK", message: "door open" });
    expect(h.runtime.statsOf("a1")).toMatchObject({ tasksDone: 1, failures: 1 });
  });
});

describe("many questions in flight", () => {
  it("twenty runs queued on one agent answer in order without a listener-leak warning", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    try {
      const h = setup();
      const worker = make("worker").onTask("heat", (r) => r.taskId);
      h.runtime.add(worker);
      h.runtime.start();
      const ids = Array.from({ length: 20 }, (_, i) => `t${i}`);
      const outcomes = await Promise.all(ids.map((taskId) => h.runtime.ask("worker", { kind: "run", run: run({ taskId }) }, new AbortController().signal)));
      expect(outcomes).toEqual(ids.map((id) => ({ ok: true, result: id })));
      await new Promise<void>((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      expect(warnings).not.toContain("MaxListenersExceededWarning");
    } finally {
      process.off("warning", onWarning);
    }
  });
});
