/**
 * The gateway's side of task questions to one isolated agent (worker or process): each ask gets an
 * id, waits for the agent's `answer` with that id, and is settled exactly once: by a checked answer,
 * by LOS_E_AGENT_PROTOCOL (a malformed answer), by the caller's signal (its reason), or by
 * LOS_E_AGENT_UNKNOWN when the agent ends. Nothing is left behind in the map.
 */
import { LosError } from "../../core/errors.js";
import type { AgentAnswer, AgentQuestion } from "../../core/task-types.js";
import type { ToAgent } from "./messages.js";
import { checkAnswer, type AnswerMessage } from "./task-messages.js";

/** codes an agent may report for a question it could not answer; others become LOS_E_AGENT_FAILED */
const AGENT_ANSWER_CODES = new Set(["LOS_E_AGENT_UNKNOWN", "LOS_E_AGENT_FAILED", "LOS_E_CLOSED"]);

interface Pending {
  kind: AgentQuestion["kind"];
  resolve(answer: unknown): void;
  reject(err: unknown): void;
}

export class PendingAsks {
  #agentId: string;
  #next = 0;
  #pending = new Map<number, Pending>();

  constructor(agentId: string) {
    this.#agentId = agentId;
  }

  get size(): number {
    return this.#pending.size;
  }

  ask<Q extends AgentQuestion>(question: Q, signal: AbortSignal, send: (message: ToAgent) => void): Promise<AgentAnswer<Q>> {
    if (signal.aborted) return Promise.reject(signal.reason as unknown);
    const id = this.#next++;
    return new Promise<AgentAnswer<Q>>((resolve, reject) => {
      const onAbort = () => this.#settle(id, () => reject(signal.reason as unknown));
      signal.addEventListener("abort", onAbort, { once: true });
      const done = (settle: () => void) => {
        signal.removeEventListener("abort", onAbort);
        settle();
      };
      this.#pending.set(id, {
        kind: question.kind,
        resolve: (a) => done(() => resolve(a as AgentAnswer<Q>)),
        reject: (e) => done(() => reject(e)),
      });
      send({ t: "ask", id, question });
    });
  }

  /** The agent's answer; an id not (or no longer) asked is ignored: the caller gave up on it. */
  answer(m: AnswerMessage): void {
    const p = this.#pending.get(m.id);
    if (!p) return;
    if (m.error) {
      const code = AGENT_ANSWER_CODES.has(m.error.code) ? (m.error.code as "LOS_E_AGENT_FAILED") : "LOS_E_AGENT_FAILED";
      return this.#settle(m.id, () => p.reject(new LosError(code, `agent "${this.#agentId}" could not answer: ${m.error!.message}`)));
    }
    let answer: unknown;
    try {
      answer = checkAnswer(p.kind, m.answer);
    } catch (err) {
      return this.#settle(m.id, () => p.reject(err));
    }
    this.#settle(m.id, () => p.resolve(answer));
  }

  /** the agent ended: every question still waiting is rejected with LOS_E_AGENT_UNKNOWN */
  failAll(why: string): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(new LosError("LOS_E_AGENT_UNKNOWN", `agent "${this.#agentId}" is not running (${why}); the question was not answered`));
  }

  #settle(id: number, settle: () => void): void {
    if (!this.#pending.delete(id)) return;
    settle();
  }
}
