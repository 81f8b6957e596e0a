/**
 * The two exchanges every auction is made of, shared by the contract net and the negotiator: one call
 * for proposals answered by many bidders before a deadline, and one award a winner must confirm in
 * time. Deadlines are timers of the injected clock (a ManualClock drives them in tests); a round
 * uses one timer however many bidders it asks.
 */
import { setMaxListeners } from "node:events";
import type { Clock } from "../core/clock.js";
import { isLosError, LosError } from "../core/errors.js";
import type { CallForProposals, TaskAward } from "../core/task-types.js";
import type { Logger } from "../core/types.js";
import { checkBid } from "./bid-rules.js";
import type { AuctionEvent, AwardTry, RefusedBid, RoundResult, TaskParticipant } from "./contracts.js";

export interface ExchangeEnv {
  clock: Clock;
  logger: Logger;
  onEvent?: ((e: AuctionEvent) => void) | undefined;
  signal?: AbortSignal | undefined;
}

const PASSED_CODES = new Set<RefusedBid["code"]>(["LOS_E_BID_INVALID", "LOS_E_BID_LATE", "LOS_E_BID_NOT_INVITED", "LOS_E_AGENT_UNKNOWN", "LOS_E_AGENT_PROTOCOL"]);

/** Report an event; a listener that throws must not break the auction. */
export function emit(env: ExchangeEnv, e: AuctionEvent): void {
  if (!env.onEvent) return;
  try {
    env.onEvent(e);
  } catch (err) {
    env.logger.warn({ err, event: e.kind }, "auction event listener threw");
  }
}

/** The reason an abort carries, as a coded error when it is not one already. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new LosError("LOS_E_CLOSED", "the auction was aborted");
}

/**
 * A signal that follows `signal` and accepts any number of listeners (a negotiation awards many parts
 * at once, each listening for the caller's abort). Call dispose when done.
 */
export function followSignal(signal: AbortSignal | undefined): { signal: AbortSignal | undefined; dispose(): void } {
  if (!signal) return { signal: undefined, dispose: () => {} };
  const follower = new AbortController();
  setMaxListeners(0, follower.signal);
  const onAbort = (): void => follower.abort(abortReason(signal));
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  return { signal: follower.signal, dispose: () => signal.removeEventListener("abort", onAbort) };
}

/**
 * Send `cfp` to every participant (ids deduplicated) and collect answers until all answered or
 * `cfp.bidDeadline` passes. Answers after the deadline are reported as LOS_E_BID_LATE through
 * onEvent (the round is already decided). Rejects with the abort reason when env.signal aborts.
 */
export function collectBids(env: ExchangeEnv, cfp: CallForProposals, participants: readonly TaskParticipant[], reserve?: number): Promise<RoundResult> {
  const { clock } = env;
  const invited = uniqueById(participants);
  const round: RoundResult = { cfp, bids: [], refused: [], silent: [], declined: [] };
  emit(env, { kind: "announced", cfp, invited: invited.map((p) => p.id) });
  if (env.signal?.aborted) return Promise.reject(abortReason(env.signal));
  if (invited.length === 0) return Promise.resolve(round);

  return new Promise<RoundResult>((resolve, reject) => {
    const deadline = new AbortController();
    setMaxListeners(0, deadline.signal);
    const pending = new Set(invited.map((p) => p.id));
    let closed = false;
    const finish = (): void => {
      if (closed) return;
      closed = true;
      clock.clearTimeout(timer);
      env.signal?.removeEventListener("abort", onAbort);
      round.silent = invited.filter((p) => pending.has(p.id)).map((p) => p.id);
      deadline.abort(new LosError("LOS_E_BID_LATE", `the call for proposals on ${cfp.taskId} closed`));
      resolve(round);
    };
    const onAbort = (): void => {
      if (closed) return;
      closed = true;
      clock.clearTimeout(timer);
      deadline.abort(abortReason(env.signal as AbortSignal));
      reject(abortReason(env.signal as AbortSignal));
    };
    const timer = clock.setTimeout(finish, Math.max(0, cfp.bidDeadline - clock.now()));
    env.signal?.addEventListener("abort", onAbort, { once: true });

    const settle = (bidder: string, answer: { ok: true; value: unknown } | { ok: false; err: unknown }): void => {
      if (closed) {
        // After the deadline: an abort rejection is the bidder staying silent; a real answer is late.
        if (answer.ok && answer.value !== undefined && answer.value !== null) {
          emit(env, { kind: "bid-refused", refused: { bidder, code: "LOS_E_BID_LATE", message: `the bid on ${cfp.taskId} arrived after the deadline` } });
        }
        return;
      }
      pending.delete(bidder);
      if (answer.ok) {
        const checked = checkBid(answer.value, cfp, bidder, clock.now(), reserve);
        if (checked.kind === "none") round.declined.push(bidder);
        else if (checked.kind === "bid") {
          round.bids.push(checked.bid);
          emit(env, { kind: "bid", bid: checked.bid });
        } else refuse(checked.refused);
      } else {
        refuse(refusalOf(bidder, answer.err));
      }
      if (pending.size === 0) finish();
    };
    const refuse = (refused: RefusedBid): void => {
      round.refused.push(refused);
      emit(env, { kind: "bid-refused", refused });
    };

    for (const p of invited) {
      let asked: Promise<unknown>;
      try {
        asked = Promise.resolve(p.propose(cfp, deadline.signal));
      } catch (err) {
        asked = Promise.reject(err);
      }
      asked.then(
        (value) => settle(p.id, { ok: true, value }),
        (err: unknown) => settle(p.id, { ok: false, err }),
      );
    }
  });
}

/**
 * Offer `award` to `participant` and wait up to confirmMs for its reply. A reply after that counts
 * as a timeout, and the participant is told the award is withdrawn (cancel with the award's attempt)
 * so that a late "yes" is not taken for a hold on the task.
 */
export function confirmAward(env: ExchangeEnv, participant: TaskParticipant | undefined, bidder: string, award: TaskAward, confirmMs: number): Promise<AwardTry> {
  const { clock } = env;
  emit(env, { kind: "awarding", bidder, price: award.price, attempt: award.attempt });
  const done = (t: AwardTry): AwardTry => {
    emit(env, { kind: "award-result", try: t });
    return t;
  };
  if (!participant) return Promise.resolve(done({ bidder, result: "error", reason: "LOS_E_AGENT_UNKNOWN: the bidder is no longer a participant" }));
  if (env.signal?.aborted) return Promise.reject(abortReason(env.signal));

  return new Promise<AwardTry>((resolve, reject) => {
    const wait = new AbortController();
    let closed = false;
    const close = (): boolean => {
      if (closed) return false;
      closed = true;
      clock.clearTimeout(timer);
      env.signal?.removeEventListener("abort", onAbort);
      return true;
    };
    const withdraw = (reason: string): void => {
      participant.cancel(award.taskId, award.attempt, reason).catch((err: unknown) => {
        env.logger.debug({ err, taskId: award.taskId, agent: bidder }, "withdrawing an award failed");
      });
    };
    const timer = clock.setTimeout(() => {
      if (!close()) return;
      const reason = `LOS_E_TASK_CONFIRM_TIMEOUT: no confirmation within ${confirmMs} ms`;
      wait.abort(new LosError("LOS_E_TASK_CONFIRM_TIMEOUT", reason));
      withdraw("the award was not confirmed in time");
      resolve(done({ bidder, result: "timeout", reason }));
    }, confirmMs);
    const onAbort = (): void => {
      if (!close()) return;
      const reason = abortReason(env.signal as AbortSignal);
      wait.abort(reason);
      withdraw("the allocation was aborted");
      reject(reason);
    };
    env.signal?.addEventListener("abort", onAbort, { once: true });

    let asked: Promise<unknown>;
    try {
      asked = Promise.resolve(participant.award(award, wait.signal));
    } catch (err) {
      asked = Promise.reject(err);
    }
    asked.then(
      (reply) => {
        if (!close()) return;
        if (!isReply(reply)) return resolve(done({ bidder, result: "error", reason: "LOS_E_AGENT_PROTOCOL: the award reply is not {accept: boolean}" }));
        if (reply.accept) return resolve(done({ bidder, result: "confirmed" }));
        const why = typeof reply.reason === "string" ? reply.reason : "refused";
        resolve(done({ bidder, result: "refused", reason: why }));
      },
      (err: unknown) => {
        if (!close()) return;
        resolve(done({ bidder, result: "error", reason: describeError(err) }));
      },
    );
  });
}

function isReply(v: unknown): v is { accept: boolean; reason?: unknown } {
  return typeof v === "object" && v !== null && typeof (v as { accept?: unknown }).accept === "boolean";
}

function refusalOf(bidder: string, err: unknown): RefusedBid {
  if (isLosError(err) && PASSED_CODES.has(err.code as RefusedBid["code"])) {
    return { bidder, code: err.code as RefusedBid["code"], message: err.message };
  }
  // An agent whose bid handler threw, or whose host failed, made no valid bid.
  return { bidder, code: "LOS_E_BID_INVALID", message: `the bidder failed: ${describeError(err)}` };
}

function describeError(err: unknown): string {
  if (isLosError(err)) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

function uniqueById(participants: readonly TaskParticipant[]): TaskParticipant[] {
  const seen = new Set<string>();
  return participants.filter((p) => (seen.has(p.id) ? false : (seen.add(p.id), true)));
}
