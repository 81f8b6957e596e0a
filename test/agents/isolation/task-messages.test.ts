import { describe, expect, it } from "vitest";
import { parseFromAgent, type ToAgent } from "../../../src/agents/isolation/messages.js";
import { PendingAsks } from "../../../src/agents/isolation/pending-asks.js";
import { checkAnswer, MAX_TASK_JSON } from "../../../src/agents/isolation/task-messages.js";
import { LosError } from "../../../src/core/errors.js";

const code = (fn: () => unknown) => {
  try {
    fn();
    return "accepted";
  } catch (err) {
    return (err as { code: string }).code;
  }
};
const cfp = { taskId: "t", type: "x", requires: [], params: {}, priority: 5, objective: "max" as const, bidDeadline: 0, round: 1 };

describe("task messages from isolated agents", () => {
  it("accepts skills, keyed actuations, answers and every coordination op", () => {
    expect(parseFromAgent({ t: "ready", skills: ["heat", "a.b-c_d"] })).toEqual({ t: "ready", skills: ["heat", "a.b-c_d"] });
    expect(parseFromAgent({ t: "heartbeat", usage: {}, skills: [] })).toEqual({ t: "heartbeat", usage: {}, skills: [] });
    expect(parseFromAgent({ t: "actuate", id: 1, point: "d/p", value: 1, reason: "r", key: "task:t:d/p:1" })).toMatchObject({ key: "task:t:d/p:1" });
    expect(parseFromAgent({ t: "answer", id: 2, answer: { value: 3 } })).toEqual({ t: "answer", id: 2, answer: { value: 3 } });
    expect(parseFromAgent({ t: "answer", id: 2 })).toEqual({ t: "answer", id: 2 });
    expect(parseFromAgent({ t: "answer", id: 2, error: { code: "LOS_E_AGENT_UNKNOWN", message: "m" } })).toMatchObject({ error: { code: "LOS_E_AGENT_UNKNOWN" } });
    const requests = [
      { op: "lease.acquire", point: "d/p", ttlMs: 1000 },
      { op: "lease.reserve", point: "d/p", inMs: 1, forMs: 2 },
      { op: "lease.release", point: "d/p" },
      { op: "intent", point: "d/p", value: true, inMs: 10, reason: "r" },
      { op: "fact.put", key: "k", value: { a: 1 }, scope: "tenant", ttlMs: 5 },
      { op: "fact.get", key: "k", scope: "site" },
      { op: "fact.delete", key: "k", scope: "agent" },
      { op: "task.create", spec: { type: "x" } },
      { op: "task.progress", taskId: "t", attempt: 2, note: "n" },
      { op: "task.local", localId: "l", name: "n", phase: "failed", error: { code: "C", message: "m" } },
    ];
    for (const request of requests) expect(parseFromAgent({ t: "coordinate", id: 4, request })).toEqual({ t: "coordinate", id: 4, request });
  });

  it("refuses malformed task messages with LOS_E_AGENT_PROTOCOL", () => {
    for (const [i, raw] of [
      { t: "ready", skills: ["has space"] },
      { t: "ready", skills: "heat" },
      { t: "heartbeat", usage: {}, skills: Array.from({ length: 300 }, (_, n) => `s${n}`) },
      { t: "actuate", id: 1, point: "d/p", value: 1, reason: "r", key: 5 },
      { t: "answer", id: "x" },
      { t: "answer", id: 1, answer: { big: "x".repeat(MAX_TASK_JSON) } },
      { t: "answer", id: 1, error: "bad" },
      { t: "coordinate", id: 1, request: null },
      { t: "coordinate", id: 1, request: { op: "lease.steal", point: "d/p" } },
      { t: "coordinate", id: 1, request: { op: "lease.acquire", point: "d/p", ttlMs: "long" } },
      { t: "coordinate", id: 1, request: { op: "fact.put", key: "k", value: 1, scope: "world" } },
      { t: "coordinate", id: 1, request: { op: "task.create", spec: [] } },
      { t: "coordinate", id: 1, request: { op: "task.local", localId: "l", name: "n", phase: "maybe" } },
    ].entries()) {
      expect(code(() => parseFromAgent(raw)), `case ${i}`).toBe("LOS_E_AGENT_PROTOCOL");
    }
  });

  it("checks an answer against its question", () => {
    expect(checkAnswer("cfp", undefined)).toBeUndefined();
    expect(checkAnswer("cfp", null)).toBeUndefined();
    expect(checkAnswer("cfp", { value: "not a number" })).toEqual({ value: "not a number" }); // the bid check is the gateway's
    expect(checkAnswer("award", { accept: false, reason: "busy", extra: 1 })).toEqual({ accept: false, reason: "busy" });
    expect(checkAnswer("run", { ok: true, result: [1] })).toEqual({ ok: true, result: [1] });
    expect(checkAnswer("run", { ok: false, error: { code: "C", message: "m" } })).toEqual({ ok: false, error: { code: "C", message: "m" } });
    for (const [kind, a] of [
      ["cfp", 42],
      ["cfp", [1]],
      ["award", { accept: "yes" }],
      ["award", undefined],
      ["run", { ok: "sure" }],
      ["run", { ok: false }],
      ["run", { ok: false, error: { code: 1, message: "m" } }],
    ] as const) {
      expect(code(() => checkAnswer(kind, a)), `${kind} ${JSON.stringify(a)}`).toBe("LOS_E_AGENT_PROTOCOL");
    }
  });
});

describe("PendingAsks", () => {
  it("settles each ask once: by its answer, a malformed answer, the signal, or the agent's end; nothing is left", async () => {
    const sent: ToAgent[] = [];
    const asks = new PendingAsks("a1");
    const idOf = (i: number) => (sent[i] as Extract<ToAgent, { t: "ask" }>).id;
    const never = new AbortController().signal;

    const ok = asks.ask({ kind: "cfp", cfp }, never, (m) => sent.push(m));
    asks.answer({ t: "answer", id: idOf(0), answer: { value: 2 } });
    asks.answer({ t: "answer", id: idOf(0), answer: { value: 99 } }); // late duplicate: ignored
    expect(await ok).toEqual({ value: 2 });

    const garbage = asks.ask({ kind: "award", award: { taskId: "t", type: "x", params: {}, attempt: 1, price: 1, leaseMs: 1 } }, never, (m) => sent.push(m));
    asks.answer({ t: "answer", id: idOf(1), answer: { accept: 1 } });
    await expect(garbage).rejects.toMatchObject({ code: "LOS_E_AGENT_PROTOCOL" });

    const reported = asks.ask({ kind: "cfp", cfp }, never, (m) => sent.push(m));
    asks.answer({ t: "answer", id: idOf(2), error: { code: "LOS_E_WRITE_INTERLOCK", message: "pretend" } });
    await expect(reported).rejects.toMatchObject({ code: "LOS_E_AGENT_FAILED" });

    const caller = new AbortController();
    const aborted = asks.ask({ kind: "cfp", cfp }, caller.signal, (m) => sent.push(m));
    caller.abort(new LosError("LOS_E_BID_LATE", "late"));
    await expect(aborted).rejects.toMatchObject({ code: "LOS_E_BID_LATE" });

    const orphan = asks.ask({ kind: "run", run: { taskId: "t", type: "x", params: {}, attempt: 1 } }, never, (m) => sent.push(m));
    expect(asks.size).toBe(1);
    asks.failAll("it crashed");
    await expect(orphan).rejects.toMatchObject({ code: "LOS_E_AGENT_UNKNOWN" });
    expect(asks.size).toBe(0);
  });
});
