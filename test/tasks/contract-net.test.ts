import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { LosError } from "../../src/core/errors.js";
import type { AuctionOptions } from "../../src/core/task-types.js";
import { ContractNet } from "../../src/tasks/contract-net.js";
import type { AuctionEvent, AuctionRequest, TaskParticipant } from "../../src/tasks/contracts.js";
import { drive, driveUntil, flush, scripted, type Script } from "./scripted-participants.js";

const options: AuctionOptions = { objective: "max", rule: "first-price", bidWindowMs: 500, confirmMs: 1000, maxRounds: 3 };

function setup(scripts: Script[], over: Partial<AuctionOptions> = {}, extra: Partial<AuctionRequest> = {}) {
  const clock = new ManualClock();
  const participants = scripted(clock, scripts);
  const events: AuctionEvent[] = [];
  const net = new ContractNet({ clock });
  const req: AuctionRequest = {
    task: { id: "t1", type: "wash", requires: ["water"], params: { n: 1 }, priority: 5, leaseMs: 3000, deadline: clock.now() + 60_000 },
    options: { ...options, ...over },
    participants,
    round: 1,
    attempt: 1,
    onEvent: (e) => events.push(e),
    ...extra,
  };
  return { clock, participants, events, net, req };
}

const clock0 = () => new ManualClock().now();
const bidding = (value: unknown, afterMs = 0) => ({ bid: () => ({ answer: value, afterMs }) });

describe("ContractNet.announce", () => {
  it("sends one call for proposals with the gateway's deadline and collects bids, declines and refusals", async () => {
    const { clock, net, req, participants, events } = setup([
      { id: "a", ...bidding({ value: 3 }, 100) },
      { id: "b", ...bidding(undefined) },
      { id: "c", ...bidding({ value: "lots" }) },
      { id: "d", bid: () => ({ throws: new Error("boom") }) },
    ]);
    const start = clock.now();
    const round = await driveUntil(clock, net.announce(req));
    const cfp = participants[0]?.cfps[0];
    expect(cfp).toMatchObject({ taskId: "t1", type: "wash", requires: ["water"], objective: "max", bidDeadline: start + 500, round: 1 });
    expect(round.bids).toEqual([{ taskId: "t1", bidder: "a", round: 1, receivedAt: start + 100, value: 3 }]);
    expect(round.declined).toEqual(["b"]);
    expect(round.refused.map((r) => [r.bidder, r.code])).toEqual([
      ["c", "LOS_E_BID_INVALID"],
      ["d", "LOS_E_BID_INVALID"],
    ]);
    expect(round.refused[1]?.message).toMatch(/boom/);
    expect(round.silent).toEqual([]);
    expect(events[0]).toEqual({ kind: "announced", cfp, invited: ["a", "b", "c", "d"] });
    // everyone answered: the round closed at the last answer, not at the deadline
    expect(clock.now()).toBe(start + 100);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("counts participants that never answer as silent and closes at the deadline", async () => {
    const { clock, net, req } = setup([{ id: "a", ...bidding({ value: 1 }) }, { id: "quiet", bid: () => ({ never: true }) }]);
    const start = clock.now();
    const round = await driveUntil(clock, net.announce(req));
    expect(round.silent).toEqual(["quiet"]);
    expect(round.bids.map((b) => b.bidder)).toEqual(["a"]);
    expect(clock.now()).toBe(start + 500);
  });

  it("reports a bid that resolves after the deadline as LOS_E_BID_LATE and does not count it", async () => {
    const { clock, net, req, events } = setup([
      { id: "slow", bid: () => ({ answer: { value: 99 }, afterMs: 700, ignoreAbort: true }) },
      { id: "ok", ...bidding({ value: 1 }, 200) },
    ]);
    const round = await driveUntil(clock, net.announce(req));
    expect(round.bids.map((b) => b.bidder)).toEqual(["ok"]);
    expect(round.silent).toEqual(["slow"]);
    await drive(clock, 300);
    const late = events.filter((e) => e.kind === "bid-refused");
    expect(late).toEqual([{ kind: "bid-refused", refused: { bidder: "slow", code: "LOS_E_BID_LATE", message: expect.stringMatching(/after the deadline/) } }]);
  });

  it("passes a participant's own refusal code (agent gone) through", async () => {
    const { clock, net, req } = setup([{ id: "gone", bid: () => ({ throws: new LosError("LOS_E_AGENT_UNKNOWN", "stopped") }) }]);
    const round = await driveUntil(clock, net.announce(req));
    expect(round.refused).toEqual([{ bidder: "gone", code: "LOS_E_AGENT_UNKNOWN", message: "stopped" }]);
  });

  it("survives a participant whose propose throws synchronously and an event listener that throws", async () => {
    const clock = new ManualClock();
    const broken: TaskParticipant = {
      id: "sync",
      tenant: undefined,
      skills: () => [],
      propose: () => {
        throw new Error("sync failure");
      },
      award: () => Promise.resolve({ accept: true }),
      run: () => Promise.resolve({ ok: true }),
      cancel: () => Promise.resolve(),
    };
    const [good] = scripted(clock, [{ id: "good", ...bidding({ value: 2 }) }]);
    const net = new ContractNet({ clock });
    const round = await driveUntil(
      clock,
      net.announce({
        task: { id: "t", type: "x", requires: [], params: {}, priority: 5, leaseMs: 1000 },
        options,
        participants: [broken, good!],
        round: 1,
        attempt: 1,
        onEvent: () => {
          throw new Error("listener");
        },
      }),
    );
    expect(round.bids.map((b) => b.bidder)).toEqual(["good"]);
    expect(round.refused[0]).toMatchObject({ bidder: "sync", code: "LOS_E_BID_INVALID" });
  });

  it("refuses bids worse than the reserve at arrival", async () => {
    const { clock, net, req } = setup([{ id: "low", ...bidding({ value: 2 }) }, { id: "high", ...bidding({ value: 8 }) }], { reserve: 5 });
    const round = await driveUntil(clock, net.announce(req));
    expect(round.bids.map((b) => b.bidder)).toEqual(["high"]);
    expect(round.refused).toEqual([{ bidder: "low", code: "LOS_E_BID_INVALID", message: "value 2 is below the reserve 5" }]);
  });

  it("asks a participant listed twice only once", async () => {
    const { clock, net, req, participants } = setup([{ id: "a", ...bidding({ value: 1 }) }]);
    const round = await driveUntil(clock, net.announce({ ...req, participants: [participants[0]!, participants[0]!] }));
    expect(participants[0]?.cfps).toHaveLength(1);
    expect(round.bids).toHaveLength(1);
  });

  it("with nobody to ask, resolves at once with an empty round", async () => {
    const { net, req } = setup([]);
    const round = await net.announce(req);
    expect(round).toMatchObject({ bids: [], refused: [], silent: [], declined: [] });
  });

  it("handles 1,000 participants in one round with a single deadline timer", async () => {
    const scripts: Script[] = Array.from({ length: 1000 }, (_, i) => ({
      id: `agent-${String(i).padStart(4, "0")}`,
      bid: i % 10 === 9 ? () => ({ never: true }) : () => ({ answer: { value: i % 97 } }),
    }));
    const { clock, net, req } = setup(scripts);
    const announced = net.announce(req);
    await flush();
    // one round deadline; scripted bidders answer without timers
    expect(clock.pendingTimers()).toBe(1);
    const round = await driveUntil(clock, announced, 1000, 100);
    expect(round.bids).toHaveLength(900);
    expect(round.silent).toHaveLength(100);
    const outcome = await driveUntil(clock, net.award(req, round));
    expect(outcome.kind).toBe("awarded");
    // value 96 is the best; the ids bidding it tie on arrival, so the smallest id wins
    expect(outcome.kind === "awarded" && [outcome.winner, outcome.price]).toEqual(["agent-0096", 96]);
  });

  it("rejects with the abort reason and aborts the bidders' signal", async () => {
    const controller = new AbortController();
    const { clock, net, req, participants } = setup([{ id: "quiet", bid: () => ({ never: true }) }], {}, { signal: controller.signal });
    const announced = net.announce(req);
    await drive(clock, 100);
    controller.abort(new LosError("LOS_E_CLOSED", "task cancelled"));
    await expect(announced).rejects.toMatchObject({ code: "LOS_E_CLOSED" });
    expect(participants[0]?.cfps).toHaveLength(1);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("refuses options that make no sense", () => {
    const { net, req } = setup([], { bidWindowMs: Number.NaN });
    expect(() => net.announce(req)).toThrow(expect.objectContaining({ code: "LOS_E_TASK_INVALID" }));
  });
});

describe("ContractNet.award", () => {
  it("awards the best bid at its own price (first-price) with the attempt and lease", async () => {
    const { clock, net, req, participants } = setup([{ id: "a", ...bidding({ value: 3 }) }, { id: "b", ...bidding({ value: 7 }) }, { id: "c", ...bidding({ value: 5 }) }]);
    const outcome = await driveUntil(clock, net.run(req));
    expect(outcome).toMatchObject({ kind: "awarded", winner: "b", price: 7, tried: [{ bidder: "b", result: "confirmed" }] });
    expect(participants[1]?.awards).toEqual([{ taskId: "t1", type: "wash", params: { n: 1 }, attempt: 1, price: 7, leaseMs: 3000, deadline: req.task.deadline }]);
    expect(participants[0]?.awards).toEqual([]);
  });

  it("second-price: the winner pays the runner-up's bid; alone, the reserve", async () => {
    const three = setup([{ id: "a", ...bidding({ value: 3 }) }, { id: "b", ...bidding({ value: 7 }) }, { id: "c", ...bidding({ value: 5 }) }], { rule: "second-price" });
    expect(await driveUntil(three.clock, three.net.run(three.req))).toMatchObject({ winner: "b", price: 5 });
    const alone = setup([{ id: "b", ...bidding({ value: 7 }) }], { rule: "second-price", reserve: 4 });
    expect(await driveUntil(alone.clock, alone.net.run(alone.req))).toMatchObject({ winner: "b", price: 4 });
  });

  it("the worked Vickrey example of docs/contract-net.md", async () => {
    const scripts = (): Script[] => [
      { id: "A", ...bidding({ value: 10 }, 10), award: () => ({ answer: { accept: false } }) },
      { id: "B", ...bidding({ value: 8 }, 30) },
      { id: "C", ...bidding({ value: 8 }, 20), award: () => ({ never: true }) },
      { id: "D", ...bidding({ value: 3 }, 10) },
    ];
    const vickrey = setup(scripts(), { rule: "second-price", reserve: 4 });
    const outcome = await driveUntil(vickrey.clock, vickrey.net.run(vickrey.req));
    expect(outcome.round.refused.map((r) => r.bidder)).toEqual(["D"]);
    expect(outcome.tried.map((t) => [t.bidder, t.result])).toEqual([
      ["A", "refused"],
      ["C", "timeout"],
      ["B", "confirmed"],
    ]);
    expect(vickrey.events.flatMap((e) => (e.kind === "awarding" ? [[e.bidder, e.price, e.attempt]] : []))).toEqual([
      ["A", 8, 1],
      ["C", 8, 2],
      ["B", 4, 3],
    ]);
    expect(outcome).toMatchObject({ kind: "awarded", winner: "B", price: 4 });
    const first = setup(scripts(), { rule: "first-price", reserve: 4 });
    await driveUntil(first.clock, first.net.run(first.req));
    expect(first.events.flatMap((e) => (e.kind === "awarding" ? [e.price] : []))).toEqual([10, 8, 8]);
  });

  it("costs (objective min): the cheapest wins", async () => {
    const { clock, net, req } = setup([{ id: "a", ...bidding({ value: 3 }) }, { id: "b", ...bidding({ value: 7 }) }], { objective: "min", rule: "second-price" });
    expect(await driveUntil(clock, net.run(req))).toMatchObject({ kind: "awarded", winner: "a", price: 7 });
  });

  it("breaks a tie by the earlier bid", async () => {
    const { clock, net, req } = setup([{ id: "a", ...bidding({ value: 5 }, 50) }, { id: "z", ...bidding({ value: 5 }, 20) }]);
    expect(await driveUntil(clock, net.run(req))).toMatchObject({ winner: "z" });
  });

  it("a bidder's own clock and identity fields are ignored: it cannot jump the tie-break", async () => {
    const { clock, net, req } = setup([
      { id: "honest", ...bidding({ value: 5 }, 20) },
      { id: "skewed", ...bidding({ value: 5, receivedAt: 0, ts: clock0() - 5000, bidder: "honest", taskId: "other", round: 9 }, 40) },
    ]);
    const outcome = await driveUntil(clock, net.run(req));
    expect(outcome).toMatchObject({ kind: "awarded", winner: "honest" });
    expect(outcome.round.bids.find((b) => b.bidder === "skewed")).toEqual({ taskId: "t1", bidder: "skewed", round: 1, receivedAt: clock0() + 40, value: 5 });
  });

  it("a winner that refuses: the next bid is tried with the next attempt", async () => {
    const { clock, net, req, participants, events } = setup([
      { id: "best", ...bidding({ value: 9 }), award: () => ({ answer: { accept: false, reason: "busy" } }) },
      { id: "next", ...bidding({ value: 4 }) },
    ]);
    const outcome = await driveUntil(clock, net.run(req));
    expect(outcome).toMatchObject({
      kind: "awarded",
      winner: "next",
      tried: [
        { bidder: "best", result: "refused", reason: "busy" },
        { bidder: "next", result: "confirmed" },
      ],
    });
    expect(participants[1]?.awards[0]?.attempt).toBe(2);
    expect(events.filter((e) => e.kind === "awarding").map((e) => e.kind === "awarding" && e.attempt)).toEqual([1, 2]);
  });

  it("a winner that confirms after confirmMs counts as a timeout, is withdrawn, and the next one wins", async () => {
    const { clock, net, req, participants } = setup([
      { id: "late", ...bidding({ value: 9 }), award: () => ({ answer: { accept: true }, afterMs: 1500, ignoreAbort: true }) },
      { id: "next", ...bidding({ value: 4 }) },
    ]);
    const start = clock.now();
    const outcome = await driveUntil(clock, net.run(req));
    expect(outcome).toMatchObject({ kind: "awarded", winner: "next", tried: [{ bidder: "late", result: "timeout" }, { bidder: "next", result: "confirmed" }] });
    expect(clock.now()).toBe(start + 1000);
    expect(participants[0]?.cancels).toEqual([{ taskId: "t1", attempt: 1, reason: "the award was not confirmed in time" }]);
    await drive(clock, 600);
    expect(outcome.kind === "awarded" && outcome.winner).toBe("next");
  });

  it("a winner that errors or replies garbage: the next one is tried", async () => {
    const { clock, net, req } = setup([
      { id: "crash", ...bidding({ value: 9 }), award: () => ({ throws: new LosError("LOS_E_AGENT_CRASHED", "exited") }) },
      { id: "garbage", ...bidding({ value: 8 }), award: () => ({ answer: { accept: "yes" } }) },
      { id: "ok", ...bidding({ value: 1 }) },
    ]);
    const outcome = await driveUntil(clock, net.run(req));
    expect(outcome.tried.map((t) => [t.bidder, t.result])).toEqual([
      ["crash", "error"],
      ["garbage", "error"],
      ["ok", "confirmed"],
    ]);
    expect(outcome.tried[0]?.reason).toMatch(/LOS_E_AGENT_CRASHED/);
  });

  it("nobody bids, or every winner lets it down: unallocated with LOS_E_TASK_NO_BIDS", async () => {
    const none = setup([{ id: "a" }, { id: "b", bid: () => ({ never: true }) }]);
    const empty = await driveUntil(none.clock, none.net.run(none.req));
    expect(empty).toMatchObject({ kind: "unallocated", code: "LOS_E_TASK_NO_BIDS", tried: [] });
    expect(empty.kind === "unallocated" && empty.message).toMatch(/1 silent, 1 declined/);

    const refusing = setup([{ id: "a", ...bidding({ value: 1 }), award: () => ({ answer: { accept: false } }) }]);
    const out = await driveUntil(refusing.clock, refusing.net.run(refusing.req));
    expect(out).toMatchObject({ kind: "unallocated", code: "LOS_E_TASK_NO_BIDS", tried: [{ bidder: "a", result: "refused" }] });
  });

  it("a bidder that is no longer a participant is skipped as an error", async () => {
    const { clock, net, req } = setup([{ id: "a", ...bidding({ value: 9 }) }, { id: "b", ...bidding({ value: 1 }) }]);
    const round = await driveUntil(clock, net.announce(req));
    const outcome = await driveUntil(clock, net.award({ ...req, participants: req.participants.filter((p) => p.id !== "a") }, round));
    expect(outcome.tried.map((t) => [t.bidder, t.result])).toEqual([
      ["a", "error"],
      ["b", "confirmed"],
    ]);
  });

  it("an abort while a winner decides rejects and withdraws the award", async () => {
    const controller = new AbortController();
    const { clock, net, req, participants } = setup([{ id: "a", ...bidding({ value: 9 }), award: () => ({ never: true }) }], {}, { signal: controller.signal });
    const running = net.run(req);
    running.catch(() => {});
    await drive(clock, 200);
    expect(participants[0]?.awards).toHaveLength(1);
    controller.abort(new LosError("LOS_E_CLOSED", "cancelled"));
    await expect(running).rejects.toMatchObject({ code: "LOS_E_CLOSED" });
    expect(participants[0]?.cancels).toEqual([{ taskId: "t1", attempt: 1, reason: "the allocation was aborted" }]);
  });
});
