/**
 * The gateway's task questions to one agent hosted in an AgentRuntime. Calls for proposals, awards
 * and cancels are answered at once (a bid is computed from the agent's state and must meet the bid
 * window, so it never waits behind a decision). Runs are serialised among themselves, one at a time
 * in order, but go alongside decisions: a long task must not stop the agent perceiving and
 * controlling. A run's signal aborts when the gateway cancels that attempt, stops waiting, or the
 * agent is removed. An answer still pending when the agent goes rejects with LOS_E_AGENT_UNKNOWN.
 */
import { LosError } from "../core/errors.js";
import type { AgentAnswer, AgentQuestion, TaskOutcome, TaskRun } from "../core/task-types.js";
import type { Value } from "../core/types.js";
import type { ActuationResult } from "../devices/actuation.js";
import type { Agent } from "./agent.js";
import type { AgentContext } from "./context.js";
import type { Coordinate } from "./coordination-helpers.js";
import { taskContext } from "./task-context.js";

export interface AskCounters {
  bids: number;
  tasksDone: number;
  tasksFailed: number;
}

export interface AskTarget {
  agent: Agent;
  ctx: AgentContext;
  /** aborts when the agent leaves the runtime or fails */
  signal: AbortSignal;
  stats: AskCounters;
  actuate(point: string, value: Value, reason: string, key: string): Promise<ActuationResult>;
  coordinate: Coordinate;
}

const runKey = (taskId: string, attempt: number) => `${taskId}#${attempt}`;

export class AgentAsks {
  #t: AskTarget;
  /** runs queued or under way, by task and attempt: a cancel aborts them */
  #runs = new Map<string, AbortController>();
  #chain: Promise<unknown> = Promise.resolve();

  constructor(target: AskTarget) {
    this.#t = target;
  }

  ask<Q extends AgentQuestion>(q: Q, signal?: AbortSignal): Promise<AgentAnswer<Q>> {
    if (this.#t.signal.aborted) return Promise.reject(this.#gone());
    if (signal?.aborted) return Promise.reject(signal.reason as unknown);
    switch (q.kind) {
      case "cfp":
        return this.#race(this.#bid(q), signal) as Promise<AgentAnswer<Q>>;
      case "award":
        return this.#race(this.#t.agent.answer(q as Extract<AgentQuestion, { kind: "award" }>, this.#t.ctx), signal) as Promise<AgentAnswer<Q>>;
      case "run":
        return this.#race(this.#run(q.run, signal), signal) as Promise<AgentAnswer<Q>>;
      case "cancel": {
        const reason = new LosError("LOS_E_TASK_STATE", `task "${q.taskId}" attempt ${q.attempt} was cancelled: ${q.reason}`);
        this.#runs.get(runKey(q.taskId, q.attempt))?.abort(reason);
        return Promise.resolve(undefined as AgentAnswer<Q>);
      }
    }
    return Promise.reject(new LosError("LOS_E_REQUEST_INVALID", `unknown question kind ${JSON.stringify((q as { kind: unknown }).kind)}`));
  }

  async #bid(q: Extract<AgentQuestion, { kind: "cfp" }>) {
    const offer = await this.#t.agent.answer(q, this.#t.ctx);
    if (offer !== undefined) this.#t.stats.bids++;
    return offer;
  }

  #run(run: TaskRun, signal: AbortSignal | undefined): Promise<TaskOutcome> {
    const key = runKey(run.taskId, run.attempt);
    const control = new AbortController();
    this.#runs.set(key, control);
    // one signal for the run: cancel, the agent going, the caller giving up (listeners removed after)
    const sources = [this.#t.signal, ...(signal ? [signal] : [])];
    const follow = (s: AbortSignal) => () => control.abort(s.reason);
    const listeners = sources.map((s) => [s, follow(s)] as const);
    for (const [s, l] of listeners) {
      if (s.aborted) l();
      else s.addEventListener("abort", l, { once: true });
    }
    const runSignal = control.signal;
    const job = this.#chain.then(async (): Promise<TaskOutcome> => {
      if (runSignal.aborted) return this.#cancelled(runSignal);
      const ctx = taskContext(this.#t.ctx, run, runSignal, this.#t.actuate, this.#t.coordinate);
      const outcome = await this.#t.agent.answer({ kind: "run", run }, ctx);
      if (outcome.ok) this.#t.stats.tasksDone++;
      else this.#t.stats.tasksFailed++;
      return outcome;
    });
    const done = job.finally(() => {
      for (const [s, l] of listeners) s.removeEventListener("abort", l);
      if (this.#runs.get(key) === control) this.#runs.delete(key);
    });
    this.#chain = done.catch(() => undefined);
    return done;
  }

  #cancelled(signal: AbortSignal): TaskOutcome {
    const r: unknown = signal.reason;
    return r instanceof LosError ? { ok: false, error: { code: r.code, message: r.message } } : { ok: false, error: { code: "LOS_E_TASK_STATE", message: "the run was cancelled before it started" } };
  }

  #gone(): LosError {
    return new LosError("LOS_E_AGENT_UNKNOWN", `agent "${this.#t.agent.id}" is not running; the question was not answered`);
  }

  /** the answer, unless the agent goes (LOS_E_AGENT_UNKNOWN) or the caller stops waiting first */
  #race<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    const agent = this.#t.signal;
    return new Promise<T>((resolve, reject) => {
      const onGone = () => finish(() => reject(this.#gone()));
      const onAbort = () => finish(() => reject(signal?.reason as unknown));
      const finish = (settle: () => void) => {
        agent.removeEventListener("abort", onGone);
        signal?.removeEventListener("abort", onAbort);
        settle();
      };
      agent.addEventListener("abort", onGone, { once: true });
      signal?.addEventListener("abort", onAbort, { once: true });
      work.then(
        (v) => finish(() => resolve(v)),
        (err: unknown) => finish(() => reject(err)),
      );
    });
  }
}
