import { describe, expect, it } from "vitest";
import type { Bid, CallForProposals } from "../../src/core/task-types.js";
import { checkBid, compareBids, priceFor, rankBids } from "../../src/tasks/bid-rules.js";

const cfp: CallForProposals = { taskId: "t1", type: "wash", requires: [], params: {}, priority: 5, objective: "max", bidDeadline: 1_000, round: 1 };
const negotiating: CallForProposals = { ...cfp, objective: "min", quantity: 10 };

function bid(bidder: string, value: number, receivedAt = 0, quantity?: number): Bid {
  const b: Bid = { taskId: "t1", bidder, round: 1, receivedAt, value };
  if (quantity !== undefined) b.quantity = quantity;
  return b;
}

describe("checkBid", () => {
  it("records a valid bid with the gateway's arrival time and drops unknown fields", () => {
    const r = checkBid({ value: 3, note: "ok", ts: 99, extra: { a: 1 } }, cfp, "a1", 500);
    expect(r).toEqual({ kind: "bid", bid: { taskId: "t1", bidder: "a1", round: 1, receivedAt: 500, value: 3, note: "ok" } });
  });

  it("reads undefined and null as no bid", () => {
    expect(checkBid(undefined, cfp, "a1", 0)).toEqual({ kind: "none" });
    expect(checkBid(null, cfp, "a1", 0)).toEqual({ kind: "none" });
  });

  it.each([
    ["NaN value", { value: Number.NaN }],
    ["infinite value", { value: Number.POSITIVE_INFINITY }],
    ["string value", { value: "7" }],
    ["missing value", { note: "x" }],
    ["a number instead of an object", 7],
    ["a string", "bid"],
    ["an array", [1]],
    ["a note that is not a string", { value: 1, note: 5 }],
    ["a note that is too long", { value: 1, note: "x".repeat(501) }],
    ["negative quantity", { value: 1, quantity: -1 }],
    ["zero quantity", { value: 1, quantity: 0 }],
    ["string quantity", { value: 1, quantity: "2" }],
  ])("refuses %s as LOS_E_BID_INVALID", (_name, answer) => {
    const r = checkBid(answer, cfp, "a1", 0);
    expect(r.kind).toBe("refused");
    if (r.kind === "refused") {
      expect(r.refused.code).toBe("LOS_E_BID_INVALID");
      expect(r.refused.bidder).toBe("a1");
    }
  });

  it("refuses a quantity above what a negotiation asked and fills a missing one with all of it", () => {
    const above = checkBid({ value: 1, quantity: 11 }, negotiating, "a1", 0);
    expect(above.kind === "refused" && above.refused.message).toMatch(/more than the 10 asked/);
    const whole = checkBid({ value: 1 }, negotiating, "a1", 0);
    expect(whole.kind === "bid" && whole.bid.quantity).toBe(10);
    // floating-point sums just above the asked quantity are not "more than asked"
    const sum = checkBid({ value: 1, quantity: 0.1 + 0.2 }, { ...negotiating, quantity: 0.3 }, "a1", 0);
    expect(sum.kind === "bid" && sum.bid.quantity).toBe(0.3);
  });

  it("refuses bids worse than the reserve, keeps bids equal to it", () => {
    expect(checkBid({ value: 4 }, cfp, "a1", 0, 5).kind).toBe("refused");
    expect(checkBid({ value: 5 }, cfp, "a1", 0, 5).kind).toBe("bid");
    expect(checkBid({ value: 6 }, negotiating, "a1", 0, 5).kind).toBe("refused");
    expect(checkBid({ value: 5 }, negotiating, "a1", 0, 5).kind).toBe("bid");
  });
});

describe("ranking", () => {
  it("puts the highest first for max and the lowest first for min", () => {
    const bids = [bid("a", 2), bid("b", 9), bid("c", 5)];
    expect(rankBids(bids, "max").map((b) => b.bidder)).toEqual(["b", "c", "a"]);
    expect(rankBids(bids, "min").map((b) => b.bidder)).toEqual(["a", "c", "b"]);
    expect(bids.map((b) => b.bidder)).toEqual(["a", "b", "c"]);
  });

  it("breaks ties by earlier arrival, then by bidder id", () => {
    const bids = [bid("zed", 5, 30), bid("bob", 5, 20), bid("amy", 5, 30), bid("cat", 4, 0)];
    expect(rankBids(bids, "max").map((b) => b.bidder)).toEqual(["bob", "amy", "zed", "cat"]);
    expect(rankBids(bids, "min").map((b) => b.bidder)).toEqual(["cat", "bob", "amy", "zed"]);
    expect(compareBids(bid("x", 1, 1), bid("x", 1, 1), "max")).toBe(0);
  });

  it("ranks ids by code units, not by locale", () => {
    expect(rankBids([bid("b", 1), bid("B", 1), bid("a", 1)], "max").map((b) => b.bidder)).toEqual(["B", "a", "b"]);
  });
});

describe("priceFor", () => {
  const ranked = rankBids([bid("a", 10), bid("b", 8), bid("c", 5)], "max");

  it("first-price: the winner pays its own bid", () => {
    expect(priceFor(ranked, 0, "first-price")).toBe(10);
    expect(priceFor(ranked, 1, "first-price", 4)).toBe(8);
  });

  it("second-price: the runner-up's value, then the reserve, then its own bid", () => {
    expect(priceFor(ranked, 0, "second-price")).toBe(8);
    expect(priceFor(ranked, 1, "second-price")).toBe(5);
    expect(priceFor(ranked, 2, "second-price", 4)).toBe(4);
    expect(priceFor(ranked, 2, "second-price")).toBe(5);
    const single = [bid("a", 10)];
    expect(priceFor(single, 0, "second-price", 6)).toBe(6);
    expect(priceFor(single, 0, "second-price")).toBe(10);
  });

  it("second-price for costs: the lowest bidder is paid the second-lowest cost", () => {
    const costs = rankBids([bid("a", 7), bid("b", 4), bid("c", 6)], "min");
    expect(costs[0]?.bidder).toBe("b");
    expect(priceFor(costs, 0, "second-price")).toBe(6);
  });

  it("second-price with a tie: the winner pays the tied value", () => {
    expect(priceFor(rankBids([bid("a", 5, 1), bid("b", 5, 2)], "max"), 0, "second-price")).toBe(5);
  });

  it("throws for a rank that does not exist", () => {
    expect(() => priceFor(ranked, 3, "first-price")).toThrow(RangeError);
  });
});
