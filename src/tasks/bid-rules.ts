/**
 * The rules of an auction as pure functions: is a bid well formed, how bids rank, which bids the
 * reserve keeps out and what the winner is paid. The contract net and the negotiator apply them;
 * docs/contract-net.md states them for bidders.
 */
import type { Bid, BidObjective, CallForProposals, PriceRule } from "../core/task-types.js";
import type { RefusedBid } from "./contracts.js";

/** A bidder's note is kept for the task's events; longer ones are refused rather than stored. */
export const MAX_BID_NOTE_LENGTH = 500;

/** Relative slack when comparing quantities, so 0.1 + 0.2 of 0.3 asked is not "above what was asked". */
const QUANTITY_EPSILON = 1e-9;

export type BidCheck =
  | { kind: "bid"; bid: Bid }
  | { kind: "none" }
  | { kind: "refused"; refused: RefusedBid };

/**
 * Check what a bidder answered to `cfp`. `undefined`/`null` is "no bid". Fields other than value,
 * quantity and note are dropped (a bidder's timestamps in particular: the gateway's clock rules).
 * In a negotiation (cfp.quantity set) a missing quantity means the whole quantity asked.
 */
export function checkBid(answer: unknown, cfp: CallForProposals, bidder: string, receivedAt: number, reserve?: number): BidCheck {
  if (answer === undefined || answer === null) return { kind: "none" };
  const invalid = (message: string): BidCheck => ({ kind: "refused", refused: { bidder, code: "LOS_E_BID_INVALID", message } });
  if (typeof answer !== "object" || Array.isArray(answer)) return invalid(`a bid is an object with a numeric value, got ${describe(answer)}`);
  const offer = answer as Record<string, unknown>;
  const value = offer["value"];
  if (typeof value !== "number" || !Number.isFinite(value)) return invalid(`value must be a finite number, got ${describe(value)}`);
  const note = offer["note"];
  if (note !== undefined && (typeof note !== "string" || note.length > MAX_BID_NOTE_LENGTH)) {
    return invalid(`note must be a string of at most ${MAX_BID_NOTE_LENGTH} characters`);
  }
  let quantity = offer["quantity"];
  if (quantity !== undefined) {
    if (typeof quantity !== "number" || !Number.isFinite(quantity) || quantity <= 0) {
      return invalid(`quantity must be a positive finite number, got ${describe(quantity)}`);
    }
    if (cfp.quantity !== undefined && quantity > cfp.quantity * (1 + QUANTITY_EPSILON)) {
      return invalid(`quantity ${quantity} is more than the ${cfp.quantity} asked`);
    }
    if (cfp.quantity !== undefined) quantity = Math.min(quantity, cfp.quantity);
  } else if (cfp.quantity !== undefined) {
    quantity = cfp.quantity;
  }
  if (reserve !== undefined && worse(value, reserve, cfp.objective)) {
    const side = cfp.objective === "max" ? "below" : "above";
    return invalid(`value ${value} is ${side} the reserve ${reserve}`);
  }
  const bid: Bid = { taskId: cfp.taskId, bidder, round: cfp.round, receivedAt, value };
  if (quantity !== undefined) bid.quantity = quantity as number;
  if (note !== undefined) bid.note = note as string;
  return { kind: "bid", bid };
}

/** True when `a` is strictly worse than `b` under the objective. */
export function worse(a: number, b: number, objective: BidObjective): boolean {
  return objective === "max" ? a < b : a > b;
}

/**
 * Order for ranking: better value first; equal values → the earlier arrival (gateway clock); then
 * the bidder id by code units, so the same bids always rank the same way on every machine.
 */
export function compareBids(a: Bid, b: Bid, objective: BidObjective): number {
  if (a.value !== b.value) return objective === "max" ? b.value - a.value : a.value - b.value;
  if (a.receivedAt !== b.receivedAt) return a.receivedAt - b.receivedAt;
  return a.bidder < b.bidder ? -1 : a.bidder > b.bidder ? 1 : 0;
}

/** A sorted copy: the best bid first. */
export function rankBids(bids: readonly Bid[], objective: BidObjective): Bid[] {
  return [...bids].sort((a, b) => compareBids(a, b, objective));
}

/**
 * The price of the bid at `index` of a ranking (the reserve already applied). first-price: its own
 * value. second-price (Vickrey): the value of the next bid in the ranking; for the last one, the
 * reserve when set, else its own value. When an earlier candidate let the task down, the candidate
 * at `index` is priced against the bid after it, as if the ones before had never bid.
 */
export function priceFor(ranked: readonly Bid[], index: number, rule: PriceRule, reserve?: number): number {
  const bid = ranked[index];
  if (!bid) throw new RangeError(`no bid at rank ${index}`);
  if (rule === "first-price") return bid.value;
  const runnerUp = ranked[index + 1];
  if (runnerUp) return runnerUp.value;
  return reserve ?? bid.value;
}

function describe(v: unknown): string {
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return `the string ${JSON.stringify(v.slice(0, 40))}`;
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v;
}
