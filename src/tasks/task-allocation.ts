/**
 * Finding a task its agent(s): direct (award to the assignee), auction (contract-net rounds until a
 * winner confirms or the rounds run out: LOS_E_TASK_NO_BIDS) or negotiation (the amount split into
 * parts). Bids and award tries are stored as task events with the next state change (one
 * transaction per round, not one per bid). A winner that confirmed goes to execution.
 */
import { sleep } from "../core/clock.js";
import { LosError, toLosError } from "../core/errors.js";
import type { TaskPart, TaskRecord } from "../core/task-types.js";
import type { NewTaskEvent } from "../store/tasks-repo.js";
import type { AuctionEvent, AuctionRequest, NegotiationRequest, TaskParticipant } from "./contracts.js";
import { eligibleParticipants, runningParticipant } from "./participants.js";
import { taskLeaseMs } from "./task-defaults.js";
import type { TaskManager } from "./task-manager.js";

export async function allocate(m: TaskManager, id: string): Promise<void> {
  const task = m.get(id);
  if (!task || (task.state !== "pending" && task.state !== "announced")) return;
  const signal = m.newWork(id);
  try {
    if (task.allocation === "direct") await direct(m, task, signal);
    else if (task.allocation === "auction") await auction(m, task, signal);
    else await negotiate(m, task, signal);
  } catch (err) {
    if (signal.aborted || m.closed) return;
    throw err;
  }
}

function eventOf(m: TaskManager, e: AuctionEvent): NewTaskEvent {
  const ts = m.clock.now();
  switch (e.kind) {
    case "announced":
      return { ts, event: "cfp", data: { round: e.cfp.round, invited: e.invited, bidDeadline: e.cfp.bidDeadline } };
    case "bid":
      return { ts, event: "bid", agent: e.bid.bidder, data: { value: e.bid.value, ...(e.bid.quantity !== undefined ? { quantity: e.bid.quantity } : {}), round: e.bid.round } };
    case "bid-refused":
      return { ts, event: "bid-refused", agent: e.refused.bidder, code: e.refused.code, data: { message: e.refused.message } };
    case "awarding":
      return { ts, event: "awarding", agent: e.bidder, attempt: e.attempt, data: { price: e.price } };
    case "award-result":
      return { ts, event: "award-result", agent: e.try.bidder, data: { result: e.try.result, ...(e.try.reason ? { reason: e.try.reason } : {}) } };
  }
}

/** The lease the award announces: the task's own, else three heartbeats of the slowest bidder. */
function awardLeaseMs(m: TaskManager, task: TaskRecord, participants: readonly TaskParticipant[]): number {
  if (task.leaseMs > 0) return task.leaseMs;
  const beats = participants.map((p) => m.deps.agents.heartbeatMsOf?.(p.id) ?? 1000);
  return taskLeaseMs(undefined, beats.length ? Math.max(...beats) : undefined);
}

async function direct(m: TaskManager, task: TaskRecord, signal: AbortSignal): Promise<void> {
  const assignee = task.assignee!;
  for (let round = 1; round <= task.auction.maxRounds; round++) {
    const p = runningParticipant(m.deps.agents, assignee);
    if (p) {
      const attempt = task.attempt + 1;
      const leaseMs = awardLeaseMs(m, task, [p]);
      const awarded = m.apply(task.id, {
        to: "awarded",
        patch: { winner: assignee, attempt, price: 0 },
        events: [{ ts: m.clock.now(), event: "awarded", agent: assignee, attempt, data: { direct: true } }],
      });
      if (!awarded) return;
      const reply = await p
        .award({ taskId: task.id, type: task.type, params: task.params, attempt, price: 0, leaseMs, ...(task.deadline !== undefined ? { deadline: task.deadline } : {}) }, AbortSignal.any([signal, timeout(m, task.auction.confirmMs)]))
        .catch((err: unknown) => ({ accept: false, reason: toLosError(err).message, code: signal.aborted ? "aborted" : "LOS_E_TASK_CONFIRM_TIMEOUT" }));
      if (signal.aborted) return;
      if (reply.accept) return m.execution.start(awarded, p, attempt, leaseMs);
      const code = "code" in reply ? String(reply.code) : "LOS_E_TASK_NO_BIDS";
      m.fail(task.id, new LosError(code === "LOS_E_TASK_CONFIRM_TIMEOUT" ? code : "LOS_E_TASK_NO_BIDS", `assignee ${assignee} did not take the task: ${reply.reason ?? "refused"}`), "direct award refused");
      return;
    }
    // the assignee may be (re)starting: wait one bid window per round
    if (round < task.auction.maxRounds) await sleep(m.clock, task.auction.bidWindowMs, signal);
  }
  m.fail(task.id, new LosError("LOS_E_AGENT_UNKNOWN", `assignee ${assignee} is not running`), "direct task without its agent");
}

/** An AbortSignal that fires after `ms` on the gateway clock. */
export function timeout(m: TaskManager, ms: number): AbortSignal {
  const ac = new AbortController();
  const h = m.clock.setTimeout(() => ac.abort(new LosError("LOS_E_TASK_CONFIRM_TIMEOUT", `no answer within ${ms} ms`)), ms);
  ac.signal.addEventListener("abort", () => m.clock.clearTimeout(h), { once: true });
  return ac.signal;
}

async function auction(m: TaskManager, first: TaskRecord, signal: AbortSignal): Promise<void> {
  let task = first;
  let lastMessage = "no round was run";
  for (;;) {
    if (task.round >= m.roundLimit(task)) {
      m.fail(task.id, new LosError("LOS_E_TASK_NO_BIDS", lastMessage), "no allocation");
      return;
    }
    const participants = eligibleParticipants(m.deps.agents, task);
    const round = task.round + 1;
    const announced = m.apply(task.id, {
      to: "announced",
      patch: { round, winner: undefined, price: undefined },
      events: [{ ts: m.clock.now(), event: "announced", data: { round, invited: participants.map((p) => p.id) } }],
    });
    if (!announced) return;
    task = announced;
    const events: NewTaskEvent[] = [];
    const req: AuctionRequest = {
      task: { ...task, leaseMs: awardLeaseMs(m, task, participants) },
      options: task.auction,
      participants,
      round,
      attempt: task.attempt + 1,
      onEvent: (e) => events.push(eventOf(m, e)),
      signal,
    };
    if (participants.length === 0) {
      // nobody may take it now (agents starting, or none with the skills): wait one window, not a busy loop
      await sleep(m.clock, task.auction.bidWindowMs, signal);
      lastMessage = `no running agent has the skills ${[task.type, ...task.requires].join(", ")}${task.tenant ? ` in tenant ${task.tenant}` : ""}`;
      m.note(task.id, [{ ts: m.clock.now(), event: "round-empty", code: "LOS_E_TASK_NO_BIDS", data: { round } }]);
      task = m.get(task.id)!;
      continue;
    }
    const result = await m.deps.auction.announce(req);
    const outcome = await m.deps.auction.award(req, result);
    const letDown = outcome.tried.filter((t) => t.result !== "confirmed").map((t) => t.bidder);
    const excluded = [...new Set([...task.excluded, ...letDown])];
    const used = outcome.tried.length;
    if (signal.aborted) {
      // cancelled or expired meanwhile: a winner that confirmed is told at once
      if (outcome.kind === "awarded") {
        const p = participants.find((x) => x.id === outcome.winner);
        void p?.cancel(task.id, req.attempt + used - 1, "the task ended while it was awarded");
      }
      m.note(task.id, events);
      return;
    }
    if (outcome.kind === "awarded") {
      const attempt = req.attempt + used - 1;
      const winner = participants.find((x) => x.id === outcome.winner)!;
      const awarded = m.apply(task.id, {
        to: "awarded",
        patch: { winner: outcome.winner, price: outcome.price, attempt, excluded },
        events: [...events, { ts: m.clock.now(), event: "awarded", agent: outcome.winner, attempt, data: { price: outcome.price, bid: outcome.bid.value } }],
      });
      if (!awarded) return void winner.cancel(task.id, attempt, "the task ended while it was awarded");
      return m.execution.start(awarded, winner, attempt, req.task.leaseMs);
    }
    lastMessage = outcome.message;
    m.note(task.id, [...events, { ts: m.clock.now(), event: "round-failed", code: outcome.code, data: { round, message: outcome.message } }]);
    const latest = m.get(task.id);
    if (!latest || latest.state !== "announced") return;
    // every award try used a fencing token; those who let the task down are not asked again
    task = m.patch(task.id, (t) => ({ attempt: t.attempt + used, excluded })) ?? latest;
  }
}

async function negotiate(m: TaskManager, task: TaskRecord, signal: AbortSignal): Promise<void> {
  const engine = m.deps.negotiation;
  if (!engine) return m.fail(task.id, new LosError("LOS_E_TASK_INVALID", "this gateway has no negotiator"), "negotiation unavailable");
  const participants = eligibleParticipants(m.deps.agents, task);
  const round = task.round + 1;
  const announced = m.apply(task.id, {
    to: "announced",
    patch: { round },
    events: [{ ts: m.clock.now(), event: "announced", data: { round, invited: participants.map((p) => p.id), negotiation: true } }],
  });
  if (!announced) return;
  const held = (task.parts ?? []).filter((p) => p.state !== "failed");
  const target = (task.params.amount as number) - held.reduce((s, p) => s + p.quantity, 0);
  const events: NewTaskEvent[] = [];
  // refused and silent awards used attempt numbers too: the next award must come after all of them
  let lastAttempt = task.attempt;
  const leaseMs = awardLeaseMs(m, task, participants);
  const req: NegotiationRequest = {
    task: { ...announced, leaseMs },
    options: { ...task.auction, ...task.negotiation },
    participants: participants.filter((p) => !held.some((h) => h.agent === p.id)),
    round,
    attempt: task.attempt + 1,
    quantity: target,
    onEvent: (e) => {
      if (e.kind === "awarding") lastAttempt = Math.max(lastAttempt, e.attempt);
      events.push(eventOf(m, e));
    },
    signal,
  };
  const out = await engine.negotiate(req);
  if (signal.aborted) return m.note(task.id, events);
  if (out.parts.length === 0 && held.length === 0) {
    m.note(task.id, events);
    return m.fail(task.id, new LosError("LOS_E_TASK_NO_BIDS", out.shortfall?.message ?? "no agent took a part"), "negotiation found nobody");
  }
  // parts that were running while this round negotiated may have finished meanwhile: take them as they are now
  const now = m.get(task.id) ?? task;
  const parts: TaskPart[] = [...(now.parts ?? []).filter((p) => p.state === "done" || p.state === "running"), ...out.parts.map((p) => ({ ...p, state: "awarded" as const }))];
  const attempt = Math.max(lastAttempt, ...out.parts.map((p) => p.attempt));
  const awarded = m.apply(task.id, {
    to: "awarded",
    // the negotiator numbers its own rounds from `round`
    patch: { parts, attempt, round: round + Math.max(out.rounds, 1) - 1 },
    events: [
      ...events,
      {
        ts: m.clock.now(),
        event: "awarded",
        attempt,
        ...(out.shortfall ? { code: out.shortfall.code } : {}),
        data: { parts: out.parts, covered: out.covered, target: out.target, rounds: out.rounds },
      },
    ],
  });
  if (!awarded) {
    for (const p of out.parts) void participants.find((x) => x.id === p.agent)?.cancel(task.id, p.attempt, "the task ended while it was negotiated");
    return;
  }
  m.execution.startParts(awarded, participants, leaseMs);
}
