/**
 * Contract net: announce a task to the eligible agents, collect bids until the deadline, award it to
 * the best bid and fall back down the ranking when a winner refuses, fails or stays silent. One call
 * of `run` is one announce round; the task manager decides whether to announce again (maxRounds).
 * docs/contract-net.md describes the protocol.
 */
import type { Clock } from "../core/clock.js";
import { LosError } from "../core/errors.js";
import type { CallForProposals, TaskAward } from "../core/task-types.js";
import type { Logger } from "../core/types.js";
import { silentLogger } from "../core/types.js";
import { priceFor, rankBids } from "./bid-rules.js";
import { collectBids, confirmAward, type ExchangeEnv } from "./contract-net-round.js";
import type { AuctionRequest, AwardOutcome, AwardTry, RoundResult } from "./contracts.js";

export interface ContractNetOptions {
  clock: Clock;
  logger?: Logger;
}

export class ContractNet {
  #clock: Clock;
  #logger: Logger;

  constructor({ clock, logger = silentLogger }: ContractNetOptions) {
    this.#clock = clock;
    this.#logger = logger;
  }

  /** Call for proposals; resolves when every participant answered or the bid window closed. */
  announce(req: AuctionRequest): Promise<RoundResult> {
    checkOptions(req);
    const { task, options } = req;
    const cfp: CallForProposals = {
      taskId: task.id,
      type: task.type,
      requires: [...task.requires],
      params: task.params,
      priority: task.priority,
      objective: options.objective,
      bidDeadline: this.#clock.now() + options.bidWindowMs,
      round: req.round,
    };
    if (task.deadline !== undefined) cfp.deadline = task.deadline;
    if (task.tenant !== undefined) cfp.tenant = task.tenant;
    return collectBids(this.#env(req), cfp, req.participants, options.reserve);
  }

  /**
   * Award the round's bids best first. Try i carries attempt `req.attempt + i` (the fencing token);
   * the first confirmation wins. Nobody confirms (or nobody bid) → unallocated, LOS_E_TASK_NO_BIDS.
   */
  async award(req: AuctionRequest, round: RoundResult): Promise<AwardOutcome> {
    const { task, options } = req;
    const env = this.#env(req);
    const ranked = rankBids(round.bids, options.objective);
    const byId = new Map(req.participants.map((p) => [p.id, p]));
    const tried: AwardTry[] = [];
    for (const [i, bid] of ranked.entries()) {
      const price = priceFor(ranked, i, options.rule, options.reserve);
      const award: TaskAward = { taskId: task.id, type: task.type, params: task.params, attempt: req.attempt + i, price, leaseMs: task.leaseMs };
      if (task.deadline !== undefined) award.deadline = task.deadline;
      const t = await confirmAward(env, byId.get(bid.bidder), bid.bidder, award, options.confirmMs);
      tried.push(t);
      if (t.result === "confirmed") return { kind: "awarded", winner: bid.bidder, price, bid, round, tried };
    }
    return { kind: "unallocated", code: "LOS_E_TASK_NO_BIDS", message: noBidsMessage(round, tried), round, tried };
  }

  /** One round: announce, then award. */
  async run(req: AuctionRequest): Promise<AwardOutcome> {
    const round = await this.announce(req);
    return this.award(req, round);
  }

  #env(req: AuctionRequest): ExchangeEnv {
    return { clock: this.#clock, logger: this.#logger.child({ taskId: req.task.id }), onEvent: req.onEvent?.bind(req), signal: req.signal };
  }
}

function checkOptions(req: AuctionRequest): void {
  const { bidWindowMs, confirmMs, reserve } = req.options;
  const bad = (what: string): never => {
    throw new LosError("LOS_E_TASK_INVALID", `auction ${what}`, { details: { taskId: req.task.id } });
  };
  if (!Number.isFinite(bidWindowMs) || bidWindowMs < 0) bad(`bidWindowMs must be a number ≥ 0, got ${bidWindowMs}`);
  if (!Number.isFinite(confirmMs) || confirmMs < 0) bad(`confirmMs must be a number ≥ 0, got ${confirmMs}`);
  if (reserve !== undefined && !Number.isFinite(reserve)) bad(`reserve must be a finite number, got ${reserve}`);
}

function noBidsMessage(round: RoundResult, tried: readonly AwardTry[]): string {
  const parts = [`${round.bids.length} valid bid(s)`, `${round.refused.length} refused`, `${round.silent.length} silent`, `${round.declined.length} declined`];
  const letDown = tried.map((t) => `${t.bidder} ${t.result}`);
  return `no agent took task ${round.cfp.taskId} in round ${round.cfp.round}: ${parts.join(", ")}${letDown.length ? `; award tries: ${letDown.join(", ")}` : ""}`;
}
