import { describe, expect, it } from "vitest";
import type { Bid } from "../../src/core/task-types.js";
import { epsilonFor, mergePart, nextCounterPrice, pickOffers, pricePicks } from "../../src/tasks/negotiation-rules.js";

function bid(bidder: string, value: number, quantity: number): Bid {
  return { taskId: "t", bidder, round: 1, receivedAt: 0, value, quantity };
}

describe("negotiation rules", () => {
  it("pickOffers takes offers in order, trims the last, passes over parts below minPart", () => {
    const queue = [bid("a", 1, 4), bid("tiny", 1.5, 0.2), bid("b", 2, 5), bid("c", 3, 5)];
    const { picks, rest } = pickOffers(queue, 6, 0.5, epsilonFor(6));
    expect(picks.map((p) => [p.bid.bidder, p.take])).toEqual([
      ["a", 4],
      ["b", 2],
    ]);
    expect(rest.map((b) => b.bidder)).toEqual(["tiny", "c"]);
    expect(pickOffers(queue, 4.3, 0.5, epsilonFor(4.3)).picks.map((p) => p.bid.bidder)).toEqual(["a"]);
  });

  it("pricePicks: own ask for first-price; the first offer left out after the dearest pick for second-price", () => {
    const ranked = [bid("a", 1, 4), bid("b", 2, 5), bid("c", 3, 5)];
    const picks = pickOffers(ranked, 6, 0, 1e-9).picks;
    const chosen = new Set(picks.map((p) => p.bid.bidder));
    expect(pricePicks(picks, ranked, chosen, "first-price")).toEqual([1, 2]);
    expect(pricePicks(picks, ranked, chosen, "second-price")).toEqual([3, 3]);
    const all = pickOffers(ranked, 20, 0, 1e-9).picks;
    const everyone = new Set(ranked.map((b) => b.bidder));
    expect(pricePicks(all, ranked, everyone, "second-price", 4)).toEqual([4, 4, 4]);
    expect(pricePicks(all, ranked, everyone, "second-price")).toEqual([1, 2, 3]);
  });

  it("mergePart adds quantities and weights the price by them", () => {
    expect(mergePart(undefined, "a", 2, 3, 1)).toEqual({ agent: "a", quantity: 2, price: 3, attempt: 1 });
    expect(mergePart({ agent: "a", quantity: 2, price: 3, attempt: 1 }, "a", 2, 5, 4)).toEqual({ agent: "a", quantity: 4, price: 4, attempt: 4 });
  });

  it("nextCounterPrice rises 25 % above the highest ask or the last counter price, capped by the reserve", () => {
    expect(nextCounterPrice(4, undefined)).toBe(5);
    expect(nextCounterPrice(4, 6)).toBe(7.5);
    expect(nextCounterPrice(4, undefined, 4.5)).toBe(4.5);
    expect(nextCounterPrice(0, undefined)).toBe(1);
    expect(nextCounterPrice(-2, undefined)).toBe(-1);
    expect(nextCounterPrice(undefined, undefined, 7)).toBe(7);
    expect(nextCounterPrice(undefined, undefined)).toBeUndefined();
  });
});
