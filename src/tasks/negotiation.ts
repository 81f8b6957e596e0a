/**
 * Negotiation: an iterated contract net that splits a divisible quantity (kW to shed, parts to make)
 * across several agents. Bids are costs per unit (objective min) with the quantity the bidder takes
 * on. Each round takes the cheapest offers until the quantity is covered, awards each part (it must
 * be confirmed like a contract-net award) and, when something is still missing, calls again for the
 * rest with a counter-proposal: a higher price per unit. docs/contract-net.md describes it.
 */
import type { Clock } from "../core/clock.js";
import { LosError } from "../core/errors.js";
import type { Bid, CallForProposals, TaskAward } from "../core/task-types.js";
import type { Logger } from "../core/types.js";
import { silentLogger } from "../core/types.js";
import { rankBids } from "./bid-rules.js";
import { collectBids, confirmAward, followSignal, type ExchangeEnv } from "./contract-net-round.js";
import type { NegotiatedPart, NegotiationOutcome, NegotiationRequest, RoundResult, TaskParticipant } from "./contracts.js";
import { epsilonFor, mergePart, nextCounterPrice, pickOffers, pricePicks, type Pick } from "./negotiation-rules.js";

export interface NegotiatorOptions {
  clock: Clock;
  logger?: Logger;
}

/** The state of one negotiation while it runs. */
interface Deal {
  req: NegotiationRequest;
  env: ExchangeEnv;
  eps: number;
  parts: Map<string, NegotiatedPart>;
  /** agents that refused, failed or stayed silent on an award: not asked again */
  excluded: Set<string>;
  nextAttempt: number;
  byId: Map<string, TaskParticipant>;
}

export class Negotiator {
  #clock: Clock;
  #logger: Logger;

  constructor({ clock, logger = silentLogger }: NegotiatorOptions) {
    this.#clock = clock;
    this.#logger = logger;
  }

  async negotiate(req: NegotiationRequest): Promise<NegotiationOutcome> {
    checkRequest(req);
    const followed = followSignal(req.signal);
    try {
      return await this.#negotiate(req, followed.signal);
    } finally {
      followed.dispose();
    }
  }

  async #negotiate(req: NegotiationRequest, signal: AbortSignal | undefined): Promise<NegotiationOutcome> {
    const target = req.quantity;
    const deal: Deal = {
      req,
      env: { clock: this.#clock, logger: this.#logger.child({ taskId: req.task.id }), onEvent: req.onEvent?.bind(req), signal },
      eps: epsilonFor(target),
      parts: new Map(),
      excluded: new Set(),
      nextAttempt: req.attempt,
      byId: new Map(req.participants.map((p) => [p.id, p])),
    };
    const { reserve, maxRounds } = req.options;
    let counterPrice: number | undefined;
    let highestAsk: number | undefined;
    let rounds = 0;
    while (rounds < maxRounds) {
      const remaining = target - covered(deal);
      if (remaining <= deal.eps) break;
      const invited = req.participants.filter((p) => !deal.excluded.has(p.id));
      if (invited.length === 0) break;
      const cfp = this.#cfp(req, remaining, req.round + rounds, counterPrice);
      rounds++;
      const round = await collectBids(deal.env, cfp, invited, reserve);
      for (const bid of round.bids) highestAsk = highestAsk === undefined ? bid.value : Math.max(highestAsk, bid.value);
      await this.#settleRound(deal, round);
      counterPrice = nextCounterPrice(highestAsk, counterPrice, reserve);
    }
    const total = covered(deal);
    const parts = [...deal.parts.values()].sort((a, b) => a.attempt - b.attempt);
    const outcome: NegotiationOutcome = { parts, covered: total, target, rounds };
    if (target - total > deal.eps) {
      outcome.shortfall = { code: "LOS_E_NEGOTIATION_SHORT", message: `covered ${round6(total)} of ${target} after ${rounds} round(s); ${parts.length} agent(s) took parts` };
    }
    return outcome;
  }

  /**
   * Take the round's cheapest offers until the rest is covered and award them. A part that is not
   * confirmed is dropped, its agent excluded, and the next offers of the same round are tried before
   * the quantity goes back to the next round.
   */
  async #settleRound(deal: Deal, round: RoundResult): Promise<void> {
    const { options } = deal.req;
    const ranked = rankBids(round.bids, "min");
    const chosen = new Set<string>();
    let queue: Bid[] = ranked;
    for (;;) {
      const need = deal.req.quantity - covered(deal);
      if (need <= deal.eps || queue.length === 0) return;
      const { picks, rest } = pickOffers(queue, need, options.minPart ?? 0, deal.eps);
      if (picks.length === 0) return;
      for (const p of picks) chosen.add(p.bid.bidder);
      const prices = pricePicks(picks, ranked, chosen, options.rule, options.reserve);
      await Promise.all(picks.map((pick, i) => this.#awardPart(deal, pick, prices[i] ?? pick.bid.value)));
      queue = rest;
    }
  }

  /** Award one pick (merged with the agent's earlier part); keep it only when confirmed. */
  async #awardPart(deal: Deal, pick: Pick, price: number): Promise<void> {
    const { task, options } = deal.req;
    const agent = pick.bid.bidder;
    const earlier = deal.parts.get(agent);
    const part = mergePart(earlier, agent, pick.take, price, deal.nextAttempt++);
    const award: TaskAward = { taskId: task.id, type: task.type, params: task.params, attempt: part.attempt, price: part.price, quantity: part.quantity, leaseMs: task.leaseMs };
    if (task.deadline !== undefined) award.deadline = task.deadline;
    const t = await confirmAward(deal.env, deal.byId.get(agent), agent, award, options.confirmMs);
    if (t.result === "confirmed") deal.parts.set(agent, part);
    else deal.excluded.add(agent); // an earlier confirmed part stands; only the enlargement is lost
  }

  #cfp(req: NegotiationRequest, quantity: number, round: number, counterPrice: number | undefined): CallForProposals {
    const { task } = req;
    const cfp: CallForProposals = {
      taskId: task.id,
      type: task.type,
      requires: [...task.requires],
      params: task.params,
      priority: task.priority,
      objective: "min",
      bidDeadline: this.#clock.now() + req.options.bidWindowMs,
      round,
      quantity,
    };
    if (task.deadline !== undefined) cfp.deadline = task.deadline;
    if (task.tenant !== undefined) cfp.tenant = task.tenant;
    if (counterPrice !== undefined) cfp.counterPrice = counterPrice;
    return cfp;
  }
}

function covered(deal: Deal): number {
  let sum = 0;
  for (const p of deal.parts.values()) sum += p.quantity;
  return sum;
}

function checkRequest(req: NegotiationRequest): void {
  const { quantity, options } = req;
  const bad = (what: string): never => {
    throw new LosError("LOS_E_TASK_INVALID", `negotiation ${what}`, { details: { taskId: req.task.id } });
  };
  if (typeof quantity !== "number" || !Number.isFinite(quantity) || quantity <= 0) bad(`quantity must be a positive number, got ${String(quantity)}`);
  if (!Number.isInteger(options.maxRounds) || options.maxRounds < 1) bad(`maxRounds must be a whole number ≥ 1, got ${options.maxRounds}`);
  if (options.minPart !== undefined && (!Number.isFinite(options.minPart) || options.minPart < 0)) bad(`minPart must be a number ≥ 0, got ${options.minPart}`);
  if (!Number.isFinite(options.bidWindowMs) || options.bidWindowMs < 0) bad(`bidWindowMs must be a number ≥ 0, got ${options.bidWindowMs}`);
  if (!Number.isFinite(options.confirmMs) || options.confirmMs < 0) bad(`confirmMs must be a number ≥ 0, got ${options.confirmMs}`);
  if (options.reserve !== undefined && !Number.isFinite(options.reserve)) bad(`reserve must be a finite number, got ${options.reserve}`);
}

function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
