/**
 * The pure rules of a negotiation (iterated contract net over a divisible quantity): which offers
 * of a round take a part, what each part is paid, how parts of one agent merge, and the manager's
 * counter-proposal for the next round. docs/contract-net.md states them for bidders.
 */
import type { Bid, PriceRule } from "../core/task-types.js";
import type { NegotiatedPart } from "./contracts.js";

/** Slack for sums of parts: 1e-9 of the target (at least 1e-9), so float sums still "cover" it. */
export function epsilonFor(target: number): number {
  return 1e-9 * Math.max(1, Math.abs(target));
}

export interface Pick {
  bid: Bid;
  /** what this bidder takes now: its offer, trimmed to what is still needed */
  take: number;
}

/**
 * Walk `queue` (ranked cheapest first) and take offers until `need` is covered. An offer larger than
 * what is still needed is trimmed to it; a part smaller than minPart (offered or after trimming) is
 * not worth assigning and is passed over. Returns the picks and the bids passed over or left.
 */
export function pickOffers(queue: readonly Bid[], need: number, minPart: number, eps: number): { picks: Pick[]; rest: Bid[] } {
  const picks: Pick[] = [];
  const rest: Bid[] = [];
  let left = need;
  for (const bid of queue) {
    if (left <= eps) {
      rest.push(bid);
      continue;
    }
    const take = Math.min(bid.quantity ?? left, left);
    if (take < minPart - eps) {
      rest.push(bid);
      continue;
    }
    picks.push({ bid, take });
    left -= take;
  }
  return { picks, rest };
}

/**
 * Price per unit of each pick. first-price: the bidder's own ask. second-price (uniform clearing
 * price): the ask of the cheapest offer of the round ranked after the dearest pick that got no part;
 * when there is none, the reserve if set, else the bidder's own ask.
 */
export function pricePicks(picks: readonly Pick[], ranked: readonly Bid[], chosen: ReadonlySet<string>, rule: PriceRule, reserve?: number): number[] {
  if (rule === "first-price") return picks.map((p) => p.bid.value);
  const picked = new Set(picks.map((p) => p.bid));
  let lastIndex = -1;
  ranked.forEach((b, i) => {
    if (picked.has(b)) lastIndex = i;
  });
  const clearing = ranked.slice(lastIndex + 1).find((b) => !chosen.has(b.bidder));
  return picks.map((p) => Math.max(p.bid.value, clearing?.value ?? reserve ?? p.bid.value));
}

/** An agent's earlier part and a new take merge into one part; the price is the quantity-weighted mean. */
export function mergePart(earlier: NegotiatedPart | undefined, agent: string, take: number, price: number, attempt: number): NegotiatedPart {
  if (!earlier) return { agent, quantity: take, price, attempt };
  const quantity = earlier.quantity + take;
  return { agent, quantity, price: (earlier.quantity * earlier.price + take * price) / quantity, attempt };
}

/**
 * The manager's counter-proposal for the next round: 25 % above the highest ask per unit seen so far
 * (or the previous counter price, if higher); one unit of price above when that is zero or less;
 * never above the reserve. Nothing seen yet: the reserve (undefined when there is none).
 */
export function nextCounterPrice(highestAsk: number | undefined, previous: number | undefined, reserve?: number): number | undefined {
  const base = highestAsk === undefined ? previous : previous === undefined ? highestAsk : Math.max(highestAsk, previous);
  if (base === undefined) return reserve;
  const raised = base > 0 ? base * 1.25 : base + 1;
  return reserve === undefined ? raised : Math.min(raised, reserve);
}
