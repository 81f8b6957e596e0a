import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import type { AuctionOptions, CallForProposals, NegotiationOptions } from "../../src/core/task-types.js";
import type { AuctionEvent, NegotiationRequest } from "../../src/tasks/contracts.js";
import { Negotiator } from "../../src/tasks/negotiation.js";
import { driveUntil, scripted, type Script } from "./scripted-participants.js";

type Options = AuctionOptions & NegotiationOptions;
const defaults: Options = { objective: "min", rule: "first-price", bidWindowMs: 500, confirmMs: 1000, maxRounds: 4 };

function setup(scripts: Script[], quantity: number, over: Partial<Options> = {}) {
  const clock = new ManualClock();
  const participants = scripted(clock, scripts);
  const events: AuctionEvent[] = [];
  const negotiator = new Negotiator({ clock });
  const req: NegotiationRequest = {
    task: { id: "shed-1", type: "shed-load", requires: [], params: { kw: quantity }, priority: 7, leaseMs: 3000 },
    options: { ...defaults, ...over },
    participants,
    round: 1,
    attempt: 1,
    quantity,
    onEvent: (e) => events.push(e),
  };
  const run = () => driveUntil(clock, negotiator.negotiate(req));
  return { clock, participants, events, negotiator, req, run };
}

/** A bidder offering `kw` at `cost` per kW (or not at all when kw is 0). */
const offers = (kw: number, cost: number) => ({ bid: (cfp: CallForProposals) => ({ answer: { value: cost, quantity: Math.min(kw, cfp.quantity ?? kw) } }) });
/** The same, in the first round only (no more to give afterwards). */
const firstRound = (kw: number, cost: number) => ({ bid: (cfp: CallForProposals) => ({ answer: cfp.round === 1 ? { value: cost, quantity: Math.min(kw, cfp.quantity ?? kw) } : undefined }) });

describe("Negotiator", () => {
  it("a single bid that covers the target takes all of it, trimmed to the target", async () => {
    const { run, participants } = setup([{ id: "big", ...offers(20, 2) }], 10);
    const outcome = await run();
    expect(outcome).toEqual({ parts: [{ agent: "big", quantity: 10, price: 2, attempt: 1 }], covered: 10, target: 10, rounds: 1 });
    expect(participants[0]?.cfps[0]).toMatchObject({ objective: "min", quantity: 10, round: 1 });
    expect(participants[0]?.cfps[0]?.counterPrice).toBeUndefined();
    expect(participants[0]?.awards[0]).toMatchObject({ taskId: "shed-1", quantity: 10, price: 2, attempt: 1, leaseMs: 3000 });
  });

  it("splits the target across three agents, cheapest first, the dearest trimmed", async () => {
    const { run, participants } = setup([{ id: "a", ...offers(4, 3) }, { id: "b", ...offers(3, 1) }, { id: "c", ...offers(5, 2) }, { id: "d", ...offers(6, 9) }], 10);
    const outcome = await run();
    expect(outcome.parts).toEqual([
      { agent: "b", quantity: 3, price: 1, attempt: 1 },
      { agent: "c", quantity: 5, price: 2, attempt: 2 },
      { agent: "a", quantity: 2, price: 3, attempt: 3 },
    ]);
    expect(outcome).toMatchObject({ covered: 10, rounds: 1 });
    expect(outcome.shortfall).toBeUndefined();
    expect(participants[3]?.awards).toEqual([]);
  });

  it("second-price: every part is paid the ask of the cheapest offer left out", async () => {
    const { run } = setup([{ id: "a", ...offers(4, 3) }, { id: "b", ...offers(6, 1) }, { id: "d", ...offers(6, 9) }], 10, { rule: "second-price" });
    const outcome = await run();
    expect(outcome.parts.map((p) => [p.agent, p.quantity, p.price])).toEqual([
      ["b", 6, 9],
      ["a", 4, 9],
    ]);
  });

  it("ends short after maxRounds with LOS_E_NEGOTIATION_SHORT, raising the counter price each round", async () => {
    const { run, participants } = setup([{ id: "a", ...firstRound(3, 2) }, { id: "b", ...firstRound(2, 4) }], 10, { maxRounds: 3 });
    const outcome = await run();
    expect(outcome.covered).toBe(5);
    expect(outcome.rounds).toBe(3);
    expect(outcome.shortfall).toMatchObject({ code: "LOS_E_NEGOTIATION_SHORT", message: expect.stringMatching(/covered 5 of 10 after 3 round/) });
    const cfps = participants[0]?.cfps ?? [];
    expect(cfps.map((c) => [c.round, c.quantity, c.counterPrice])).toEqual([
      [1, 10, undefined],
      [2, 5, 5],
      [3, 5, 6.25],
    ]);
    expect(outcome.parts.map((p) => [p.agent, p.quantity, p.price])).toEqual([
      ["a", 3, 2],
      ["b", 2, 4],
    ]);
  });

  it("a counter-proposal makes bidders raise their offers until the target is covered", async () => {
    // each agent takes 2 kW at its cost, and 4 more kW once the manager offers at least 5 per kW
    const flexible = (cost: number): Script["bid"] => (cfp) => ({
      answer: (cfp.counterPrice ?? 0) >= 5 ? { value: cfp.counterPrice, quantity: Math.min(4, cfp.quantity ?? 4) } : { value: cost, quantity: 2 },
    });
    const { run, participants } = setup([{ id: "a", bid: flexible(3) }, { id: "b", bid: flexible(4) }], 10);
    const outcome = await run();
    expect(outcome.rounds).toBe(2);
    expect(outcome.covered).toBe(10);
    expect(outcome.shortfall).toBeUndefined();
    expect(participants[0]?.cfps[1]).toMatchObject({ quantity: 6, counterPrice: 5 });
    // a: 2 kW at 3 + 4 kW at 5; b: 2 kW at 4 + 2 kW at 5 (trimmed); one part each, re-awarded whole
    expect(outcome.parts).toEqual([
      { agent: "a", quantity: 6, price: (2 * 3 + 4 * 5) / 6, attempt: 3 },
      { agent: "b", quantity: 4, price: (2 * 4 + 2 * 5) / 4, attempt: 4 },
    ]);
    expect(participants[0]?.awards.map((a) => [a.attempt, a.quantity])).toEqual([
      [1, 2],
      [3, 6],
    ]);
  });

  it("a part refused or not confirmed is dropped and reassigned, in the same round when offers are left", async () => {
    const { run, participants, events } = setup(
      [
        { id: "refuser", ...offers(6, 1), award: () => ({ answer: { accept: false, reason: "no" } }) },
        { id: "silent", ...offers(4, 2), award: () => ({ never: true }) },
        { id: "spare", ...offers(10, 5) },
      ],
      10,
    );
    const outcome = await run();
    expect(outcome.parts).toEqual([{ agent: "spare", quantity: 10, price: 5, attempt: 3 }]);
    expect(outcome.rounds).toBe(1);
    expect(participants[1]?.cancels).toEqual([{ taskId: "shed-1", attempt: 2, reason: "the award was not confirmed in time" }]);
    const results = events.flatMap((e) => (e.kind === "award-result" ? [[e.try.bidder, e.try.result]] : []));
    expect(results).toEqual([
      ["refuser", "refused"],
      ["silent", "timeout"],
      ["spare", "confirmed"],
    ]);
  });

  it("a refused part goes back into the next round, without asking the refuser again", async () => {
    const { run, participants } = setup(
      [
        { id: "refuser", ...offers(5, 1), award: () => ({ answer: { accept: false } }) },
        { id: "a", ...firstRound(5, 2) },
        { id: "late-joiner", bid: (cfp) => ({ answer: cfp.round >= 2 ? { value: 3, quantity: 5 } : undefined }) },
      ],
      10,
    );
    const outcome = await run();
    expect(outcome.parts.map((p) => [p.agent, p.quantity])).toEqual([
      ["a", 5],
      ["late-joiner", 5],
    ]);
    expect(outcome.rounds).toBe(2);
    expect(participants[0]?.cfps).toHaveLength(1);
  });

  it("an agent that refuses to enlarge its part keeps the part it confirmed and is not asked again", async () => {
    const { run, participants } = setup(
      [
        { id: "a", ...offers(3, 1), award: (award) => ({ answer: { accept: award.attempt === 1 } }) },
        { id: "b", bid: (cfp) => ({ answer: cfp.round === 3 ? { value: 2, quantity: 7 } : undefined }) },
      ],
      10,
    );
    const outcome = await run();
    expect(outcome.parts).toEqual([
      { agent: "a", quantity: 3, price: 1, attempt: 1 },
      { agent: "b", quantity: 7, price: 2, attempt: 3 },
    ]);
    // round 2: a offered 3 more, was awarded the whole 6 (attempt 2) and refused; round 3 without it
    expect(participants[0]?.awards.map((a) => [a.attempt, a.quantity])).toEqual([
      [1, 3],
      [2, 6],
    ]);
    expect(participants[0]?.cfps).toHaveLength(2);
    expect(outcome.rounds).toBe(3);
  });

  it("respects the reserve (maximum cost per unit) and caps the counter price at it", async () => {
    const { run, participants } = setup([{ id: "cheap", ...firstRound(4, 2.8) }, { id: "dear", ...offers(10, 8) }], 10, { reserve: 3, maxRounds: 2 });
    const outcome = await run();
    expect(outcome.parts).toEqual([{ agent: "cheap", quantity: 4, price: 2.8, attempt: 1 }]);
    expect(outcome.shortfall?.code).toBe("LOS_E_NEGOTIATION_SHORT");
    // 25 % above 2.8 would be 3.5: capped at the reserve
    expect(participants[1]?.cfps[1]?.counterPrice).toBe(3);
  });

  it("passes over parts smaller than minPart, offered or after trimming", async () => {
    const { run } = setup([{ id: "tiny", ...offers(0.5, 1) }, { id: "a", ...offers(9.5, 2) }, { id: "b", ...offers(5, 3) }], 10, { minPart: 1, maxRounds: 1 });
    const outcome = await run();
    // tiny is too small; a takes 9.5; b would be trimmed to 0.5 < minPart: left short
    expect(outcome.parts.map((p) => [p.agent, p.quantity])).toEqual([["a", 9.5]]);
    expect(outcome.shortfall?.code).toBe("LOS_E_NEGOTIATION_SHORT");
  });

  it("with no bidders at all, ends short after the rounds with nothing assigned", async () => {
    const { run } = setup([{ id: "quiet", bid: () => ({ never: true }) }], 10, { maxRounds: 2 });
    const outcome = await run();
    expect(outcome).toMatchObject({ parts: [], covered: 0, rounds: 2, shortfall: { code: "LOS_E_NEGOTIATION_SHORT" } });
  });

  it("splits across 50 one-kW agents in one round, all parts awarded together under one caller signal", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    try {
      const scripts: Script[] = Array.from({ length: 60 }, (_, i) => ({ id: `app-${String(i).padStart(2, "0")}`, ...offers(1, 60 - i) }));
      const { clock, negotiator, req } = setup(scripts, 50);
      const outcome = await driveUntil(clock, negotiator.negotiate({ ...req, signal: new AbortController().signal }));
      expect(outcome.covered).toBe(50);
      expect(outcome.parts).toHaveLength(50);
      // the cheapest 50 (costs 1…50) took a part
      expect(Math.max(...outcome.parts.map((p) => p.price))).toBe(50);
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(warnings).not.toContain("MaxListenersExceededWarning");
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("refuses a quantity that is not a positive number", async () => {
    const { negotiator, req } = setup([], 10);
    await expect(negotiator.negotiate({ ...req, quantity: 0 })).rejects.toMatchObject({ code: "LOS_E_TASK_INVALID" });
    await expect(negotiator.negotiate({ ...req, quantity: Number.NaN })).rejects.toMatchObject({ code: "LOS_E_TASK_INVALID" });
  });

  it("rejects with the abort reason when aborted mid-round", async () => {
    const controller = new AbortController();
    const { clock, negotiator, req } = setup([{ id: "quiet", bid: () => ({ never: true }) }], 10);
    const running = negotiator.negotiate({ ...req, signal: controller.signal });
    running.catch(() => {});
    clock.advance(100);
    controller.abort(new Error("cancelled"));
    await expect(running).rejects.toThrow("cancelled");
  });
});
