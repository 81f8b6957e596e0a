/**
 * How an agent answers the gateway's task questions from the handlers it registered, with the
 * defaults docs/agents.md lists: no bid function → no bid; an award of a type without a handler →
 * refused; a run without a handler → failed with LOS_E_TASK_STATE; a throwing run handler → failed
 * with LOS_E_AGENT_FAILED. A bid is passed on as the function returned it: the gateway checks bids.
 */
import { LosError } from "../core/errors.js";
import type { AgentAnswer, AgentQuestion, TaskAwardReply, TaskOutcome } from "../core/task-types.js";
import type { AwardFn, BidFn, TaskHandler } from "./agent.js";
import type { AgentContext, TaskContext } from "./context.js";

export interface AgentHandlers {
  id: string;
  bid: BidFn | undefined;
  award: AwardFn | undefined;
  handler(type: string): TaskHandler | undefined;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function awardReply(r: TaskAwardReply | boolean | undefined | null): TaskAwardReply {
  if (typeof r === "boolean") return { accept: r };
  if (r === null || typeof r !== "object") return { accept: false, reason: "onAward returned no reply" };
  const out: TaskAwardReply = { accept: r.accept === true };
  if (typeof r.reason === "string") out.reason = r.reason;
  return out;
}

/** A run's failure: the cancel reason when the run was cancelled (its signal), else the handler's error. */
function failure(err: unknown, ctx: AgentContext): TaskOutcome {
  const reason: unknown = ctx.signal.aborted ? ctx.signal.reason : undefined;
  if (reason instanceof LosError) return { ok: false, error: { code: reason.code, message: reason.message } };
  return { ok: false, error: { code: "LOS_E_AGENT_FAILED", message: message(err) } };
}

export async function answerQuestion<Q extends AgentQuestion>(h: AgentHandlers, q: Q, ctx: AgentContext | TaskContext): Promise<AgentAnswer<Q>> {
  return (await answer(h, q, ctx)) as AgentAnswer<Q>;
}

async function answer(h: AgentHandlers, q: AgentQuestion, ctx: AgentContext | TaskContext): Promise<AgentAnswer<AgentQuestion>> {
  switch (q.kind) {
    case "cfp": {
      if (!h.bid) return undefined;
      try {
        return (await h.bid(q.cfp, ctx)) ?? undefined;
      } catch (err) {
        ctx.log.warn({ code: "LOS_E_AGENT_FAILED", task: q.cfp.taskId, err: message(err) }, "bid function threw: no bid");
        return undefined;
      }
    }
    case "award": {
      if (!h.handler(q.award.type)) return { accept: false, reason: `agent "${h.id}" has no handler for task type "${q.award.type}"` };
      if (!h.award) return { accept: true };
      try {
        return awardReply(await h.award(q.award, ctx));
      } catch (err) {
        return { accept: false, reason: `onAward threw: ${message(err)}` };
      }
    }
    case "run": {
      const handler = h.handler(q.run.type);
      if (!handler) {
        return { ok: false, error: { code: "LOS_E_TASK_STATE", message: `agent "${h.id}" has no handler for task type "${q.run.type}"` } };
      }
      try {
        const result = await handler(q.run, ctx as TaskContext);
        return result === undefined ? { ok: true } : { ok: true, result };
      } catch (err) {
        return failure(err, ctx);
      }
    }
    case "cancel":
      return undefined;
  }
}
