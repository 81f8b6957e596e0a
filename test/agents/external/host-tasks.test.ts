import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { BrokerHandle } from "../../../src/bus/broker.js";
import { isLosError, LosError } from "../../../src/core/errors.js";
import type { CallForProposals, TaskAward, TaskRun } from "../../../src/core/task-types.js";
import { ExternalHost } from "../../../src/agents/hosts/external-host.js";
import { agentClient, hostOptions, startAgentBroker, waitUntil, type Inbox } from "./fixture.js";

const cfp = (taskId: string, round = 1): CallForProposals => ({
  taskId,
  type: "ventilate",
  requires: [],
  params: { minutes: 5 },
  priority: 5,
  objective: "max",
  bidDeadline: 10_000,
  round,
});
const award = (taskId: string, attempt = 1): TaskAward => ({ taskId, type: "ventilate", params: { minutes: 5 }, attempt, price: 3, leaseMs: 3000 });
const run = (taskId: string, attempt = 1): TaskRun => ({ taskId, type: "ventilate", params: { minutes: 5 }, attempt });
const forever = () => new AbortController().signal;
/** a promise that is meant to reject later, asserted after other awaits (no unhandled rejection meanwhile) */
function later<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

describe("external host: task questions and coordination over the agent protocol", () => {
  let broker: BrokerHandle;
  let port: number;
  const open: Inbox[] = [];
  const hosts: ExternalHost[] = [];

  beforeAll(async () => {
    ({ broker, port } = await startAgentBroker());
  });
  afterAll(() => broker.close());
  afterEach(async () => {
    for (const h of hosts.splice(0)) await h.stop(0);
    for (const c of open.splice(0)) await c.client.endAsync(true).catch(() => {});
  });

  /** a host with a registered agent that declared the skills */
  async function session(skills: unknown = ["ventilate", "cool"]) {
    const o = hostOptions(broker);
    const host = new ExternalHost(o);
    hosts.push(host);
    await host.start();
    const a = await agentClient(port);
    open.push(a);
    const from = a.got.length;
    await a.send("register", { protocol: 1, language: "test", skills });
    const reply = await a.next("registered", () => true, from);
    return { host, rec: o.rec, a, reply };
  }

  it("the skills of register are the host's skills, a heartbeat may change them; malformed skills are refused", async () => {
    const { host, a } = await session(["ventilate", "cool", "ventilate"]);
    expect(host.skills()).toEqual(["ventilate", "cool"]);
    await a.send("heartbeat", { skills: ["ventilate", "shed-load"] });
    await waitUntil(() => host.skills().includes("shed-load"), "skills from heartbeat");
    await a.send("heartbeat", { skills: ["no spaces"] });
    await waitUntil(() => host.protocolErrors() === 1, "bad skills counted");
    expect(host.skills()).toEqual(["ventilate", "shed-load"]);
    const bad = await session([""]);
    expect(bad.reply).toMatchObject({ ok: false, error: { code: "LOS_E_AGENT_PROTOCOL" } });
    expect(bad.host.skills()).toEqual([]);
  });

  it("cfp → in/cfp, answered by a bid naming task and round; the agent's own timestamp is dropped", async () => {
    const { host, a } = await session();
    const asked = host.ask({ kind: "cfp", cfp: cfp("t1") }, forever());
    const sent = await a.next("cfp");
    expect(sent).toEqual({ cfp: cfp("t1") });
    expect(a.got.find((m) => m.kind === "cfp")?.qos).toBe(1);
    await a.send("bid", { taskId: "t1", round: 1, value: 7.5, quantity: 2, note: "vent is free", ts: 1 });
    expect(await asked).toEqual({ value: 7.5, quantity: 2, note: "vent is free" });
    expect(host.pendingAsks()).toBe(0);
  });

  it("a decline is no bid", async () => {
    const { host, a } = await session();
    const asked = host.ask({ kind: "cfp", cfp: cfp("t2", 3) }, forever());
    await a.next("cfp");
    await a.send("bid", { taskId: "t2", round: 3, decline: true });
    expect(await asked).toBeUndefined();
  });

  it("a garbage bid is refused with a log line and counted, and settles nothing: a good bid still counts", async () => {
    const { host, a } = await session();
    const asked = host.ask({ kind: "cfp", cfp: cfp("t3") }, forever());
    await a.next("cfp");
    await a.send("bid", { taskId: "t3", round: 1, value: "a lot" });
    await a.send("bid", { taskId: "t3", round: 1, value: Number.MAX_VALUE, quantity: -1 });
    await a.send("bid", "{not json");
    await waitUntil(() => host.protocolErrors() === 3, "garbage counted");
    expect(host.pendingAsks()).toBe(1);
    await a.send("bid", { taskId: "t3", round: 1, value: 4 });
    expect(await asked).toEqual({ value: 4 });
  });

  it("an ask that only got garbage before its deadline rejects with LOS_E_AGENT_PROTOCOL", async () => {
    const { host, a } = await session();
    const ctl = new AbortController();
    const asked = later(host.ask({ kind: "cfp", cfp: cfp("t4") }, ctl.signal));
    await a.next("cfp");
    await a.send("bid", { taskId: "t4", round: 1, value: null });
    await waitUntil(() => host.protocolErrors() === 1, "garbage counted");
    ctl.abort(new LosError("LOS_E_BID_LATE", "bid window closed"));
    await expect(asked).rejects.toSatisfy((e) => isLosError(e, "LOS_E_AGENT_PROTOCOL") && /value/.test((e as Error).message));
  });

  it("abort rejects with the signal's reason; a bid after it is ignored and counted", async () => {
    const { host, a } = await session();
    const ctl = new AbortController();
    const asked = host.ask({ kind: "cfp", cfp: cfp("t5") }, ctl.signal);
    await a.next("cfp");
    const reason = new LosError("LOS_E_BID_LATE", "bid window closed");
    ctl.abort(reason);
    await expect(asked).rejects.toBe(reason);
    expect(host.pendingAsks()).toBe(0);
    await a.send("bid", { taskId: "t5", round: 1, value: 9 });
    await waitUntil(() => host.ignoredAnswers() === 1, "late bid ignored");
    // a bid for another round of the same task answers nothing either
    const next = host.ask({ kind: "cfp", cfp: cfp("t5", 2) }, forever());
    await a.next("cfp", (b) => (b.cfp as CallForProposals).round === 2);
    await a.send("bid", { taskId: "t5", round: 1, value: 9 });
    await waitUntil(() => host.ignoredAnswers() === 2, "wrong round ignored");
    await a.send("bid", { taskId: "t5", round: 2, value: 1 });
    expect(await next).toEqual({ value: 1 });
    // already aborted: rejected at once, nothing published
    const before = a.got.length;
    await expect(host.ask({ kind: "cfp", cfp: cfp("t6") }, AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(a.got.length).toBe(before);
  });

  it("award → in/award, answered by award-reply naming task and attempt", async () => {
    const { host, a } = await session();
    const yes = host.ask({ kind: "award", award: award("t7", 2) }, forever());
    expect(await a.next("award")).toEqual({ award: award("t7", 2) });
    await a.send("award-reply", { taskId: "t7", attempt: 2, accept: true });
    expect(await yes).toEqual({ accept: true });
    const no = host.ask({ kind: "award", award: award("t8", 1) }, forever());
    await a.next("award", (b) => (b.award as TaskAward).taskId === "t8");
    await a.send("award-reply", { taskId: "t8", attempt: 1, accept: "maybe" });
    await waitUntil(() => host.protocolErrors() === 1, "bad accept counted");
    await a.send("award-reply", { taskId: "t8", attempt: 1, accept: false, reason: "vent in maintenance" });
    expect(await no).toEqual({ accept: false, reason: "vent in maintenance" });
  });

  it("run → in/tasks (a TaskRun), answered by task; a report for an old attempt is ignored", async () => {
    const { host, a } = await session();
    const done = host.ask({ kind: "run", run: run("t9", 2) }, forever());
    expect(await a.next("tasks")).toEqual(run("t9", 2));
    await a.send("task", { taskId: "t9", attempt: 1, ok: true, result: { stale: true } });
    await waitUntil(() => host.ignoredAnswers() === 1, "stale report ignored");
    expect(host.pendingAsks()).toBe(1);
    await a.send("task", { taskId: "t9", attempt: 2, ok: true, result: { ventedMinutes: 5 } });
    expect(await done).toEqual({ ok: true, result: { ventedMinutes: 5 } });

    const failed = host.ask({ kind: "run", run: run("t10") }, forever());
    await a.next("tasks", (b) => b.taskId === "t10");
    await a.send("task", { taskId: "t10", attempt: 1, ok: false });
    await waitUntil(() => host.protocolErrors() === 1, "failure without error counted");
    await a.send("task", { taskId: "t10", attempt: 1, ok: false, error: { code: "LOS_E_DEVICE_TIMEOUT", message: "vent did not move" } });
    expect(await failed).toEqual({ ok: false, error: { code: "LOS_E_DEVICE_TIMEOUT", message: "vent did not move" } });
  });

  it("cancel → in/cancel, resolved once published", async () => {
    const { host, a } = await session();
    await host.ask({ kind: "cancel", taskId: "t11", attempt: 3, reason: "cancelled by user:ops" }, forever());
    expect(await a.next("cancel")).toEqual({ taskId: "t11", attempt: 3, reason: "cancelled by user:ops" });
  });

  it("coordinate: requests reach calls.coordinate and are answered on in/replies; malformed ones are refused", async () => {
    const { rec, a } = await session();
    await a.send("coordinate", { correlationId: "k1", request: { op: "lease.acquire", point: "gh1/vent", ttlMs: 2000, extra: 1 } });
    expect(await a.next("replies", (b) => b.correlationId === "k1")).toEqual({
      ok: true,
      data: { lease: { resource: "point:gh1/vent", holder: "vent", kind: "lease", token: 1, from: 1000, until: 3000, ttlMs: 2000 } },
      correlationId: "k1",
    });
    await a.send("coordinate", { correlationId: "k2", request: { op: "lease.acquire", point: "gh1/heater", ttlMs: 2000 } });
    expect(await a.next("replies", (b) => b.correlationId === "k2")).toEqual({
      ok: false,
      error: { code: "LOS_E_LEASE_CONFLICT", message: "gh1/heater is held by other", details: { holder: "other", until: 5000 } },
      correlationId: "k2",
    });
    await a.send("coordinate", { correlationId: "k3", request: { op: "fact.put", key: "gh1/vent-open", value: { open: true }, scope: "tenant", ttlMs: 60_000 } });
    await a.next("replies", (b) => b.correlationId === "k3");
    await a.send("coordinate", { correlationId: "k4", request: { op: "fact.get", key: "gh1/vent-open", scope: "tenant" } });
    expect(await a.next("replies", (b) => b.correlationId === "k4")).toMatchObject({ ok: true, data: { fact: { value: { open: true }, scope: "tenant" } } });
    await a.send("coordinate", { correlationId: "k5", request: { op: "fact.get", key: "x", scope: "planet" } });
    expect(await a.next("replies", (b) => b.correlationId === "k5")).toMatchObject({ ok: false, error: { code: "LOS_E_AGENT_PROTOCOL", message: expect.stringMatching(/scope/) } });
    await a.send("coordinate", { correlationId: "k6", request: { op: "launch" } });
    expect(await a.next("replies", (b) => b.correlationId === "k6")).toMatchObject({ ok: false, error: { code: "LOS_E_AGENT_PROTOCOL" } });
    // extra fields are not passed on: the gateway sees only what the protocol defines
    expect(rec.coordinations).toEqual([
      { op: "lease.acquire", point: "gh1/vent", ttlMs: 2000 },
      { op: "lease.acquire", point: "gh1/heater", ttlMs: 2000 },
      { op: "fact.put", key: "gh1/vent-open", value: { open: true }, scope: "tenant", ttlMs: 60_000 },
      { op: "fact.get", key: "gh1/vent-open", scope: "tenant" },
    ]);
  });

  it("actuate carries the idempotency key; a replayed write says so", async () => {
    const { rec, a } = await session();
    const write = { point: "gh1/vent", value: true, reason: "task t12", idempotencyKey: "task:t12:gh1/vent:1" };
    await a.send("actuate", { correlationId: "w1", ...write });
    expect(await a.next("replies", (b) => b.correlationId === "w1")).toEqual({ ok: true, data: { auditId: 1, point: "gh1/vent", value: true }, correlationId: "w1" });
    await a.send("actuate", { correlationId: "w2", ...write });
    expect(await a.next("replies", (b) => b.correlationId === "w2")).toEqual({ ok: true, data: { auditId: 1, point: "gh1/vent", value: true, replayed: true }, correlationId: "w2" });
    expect(rec.actuations.map((x) => x.idempotencyKey)).toEqual(["task:t12:gh1/vent:1", "task:t12:gh1/vent:1"]);
  });

  it("a disconnect rejects every pending ask with LOS_E_AGENT_UNKNOWN and leaves none behind", async () => {
    const { host, a } = await session();
    const asks = [
      later(host.ask({ kind: "cfp", cfp: cfp("t13") }, forever())),
      later(host.ask({ kind: "award", award: award("t14") }, forever())),
      later(host.ask({ kind: "run", run: run("t15") }, forever())),
    ];
    await a.next("tasks");
    expect(host.pendingAsks()).toBe(3);
    a.client.stream.destroy();
    for (const p of asks) await expect(p).rejects.toSatisfy((e) => isLosError(e, "LOS_E_AGENT_UNKNOWN"));
    expect(host.pendingAsks()).toBe(0);
    await expect(host.ask({ kind: "cancel", taskId: "t15", attempt: 1, reason: "gone" }, forever())).rejects.toSatisfy((e) => isLosError(e, "LOS_E_AGENT_UNKNOWN"));
  });

  it("a register from a new connection voids the questions sent to the old one", async () => {
    const { host, a } = await session();
    const asked = later(host.ask({ kind: "run", run: run("t16") }, forever()));
    await a.next("tasks");
    const b = await agentClient(port);
    open.push(b);
    await b.send("register", { protocol: 1, language: "test", skills: ["ventilate"] });
    await expect(asked).rejects.toSatisfy((e) => isLosError(e, "LOS_E_AGENT_UNKNOWN"));
    // the new session answers new questions
    const again = host.ask({ kind: "run", run: run("t16", 2) }, forever());
    await b.next("tasks", (m) => m.attempt === 2);
    await b.send("task", { taskId: "t16", attempt: 2, ok: true });
    expect(await again).toEqual({ ok: true });
  });

  it("stop() rejects pending asks", async () => {
    const { host, a } = await session();
    const asked = later(host.ask({ kind: "award", award: award("t17") }, forever()));
    await a.next("award");
    await host.stop(0);
    await expect(asked).rejects.toSatisfy((e) => isLosError(e, "LOS_E_AGENT_UNKNOWN"));
    expect(host.pendingAsks()).toBe(0);
  });
});
