/**
 * TaskParticipants driven by small scripts on a ManualClock, for testing the contract net and the
 * negotiator without agents: answer after N ms, never answer, throw, answer garbage, refuse or
 * confirm late. Each records what it was asked.
 */
import type { ManualClock } from "../../src/core/clock.js";
import type { BidOffer, CallForProposals, TaskAward, TaskAwardReply, TaskOutcome, TaskRun } from "../../src/core/task-types.js";
import type { TaskParticipant } from "../../src/tasks/contracts.js";

/** How to answer one question: with a value (after `afterMs`), by throwing, or never. */
export type Step<T> =
  | { answer: T | unknown; afterMs?: number; ignoreAbort?: boolean }
  | { throws: unknown; afterMs?: number }
  | { never: true };

export interface Script {
  id: string;
  tenant?: string;
  skills?: string[];
  /** default: no bid */
  bid?: (cfp: CallForProposals) => Step<BidOffer | undefined>;
  /** default: accept at once */
  award?: (award: TaskAward) => Step<TaskAwardReply>;
  /** default: ok at once */
  run?: (run: TaskRun) => Step<TaskOutcome>;
}

export class ScriptedParticipant implements TaskParticipant {
  readonly id: string;
  readonly tenant: string | undefined;
  readonly cfps: CallForProposals[] = [];
  readonly awards: TaskAward[] = [];
  readonly runs: TaskRun[] = [];
  readonly cancels: { taskId: string; attempt: number; reason: string }[] = [];
  #clock: ManualClock;
  #script: Script;

  constructor(clock: ManualClock, script: Script) {
    this.#clock = clock;
    this.#script = script;
    this.id = script.id;
    this.tenant = script.tenant;
  }

  skills(): readonly string[] {
    return this.#script.skills ?? [];
  }

  propose(cfp: CallForProposals, signal: AbortSignal): Promise<BidOffer | undefined> {
    this.cfps.push(cfp);
    const step = this.#script.bid?.(cfp) ?? { answer: undefined };
    return this.#play(step, signal) as Promise<BidOffer | undefined>;
  }

  award(award: TaskAward, signal: AbortSignal): Promise<TaskAwardReply> {
    this.awards.push(award);
    const step = this.#script.award?.(award) ?? { answer: { accept: true } };
    return this.#play(step, signal) as Promise<TaskAwardReply>;
  }

  run(run: TaskRun, signal: AbortSignal): Promise<TaskOutcome> {
    this.runs.push(run);
    const step = this.#script.run?.(run) ?? { answer: { ok: true } };
    return this.#play(step, signal) as Promise<TaskOutcome>;
  }

  async cancel(taskId: string, attempt: number, reason: string): Promise<void> {
    this.cancels.push({ taskId, attempt, reason });
  }

  #play(step: Step<unknown>, signal: AbortSignal): Promise<unknown> {
    if ("never" in step) {
      // Honours the abort like a real host would; otherwise never settles.
      return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));
    }
    const ignoreAbort = "answer" in step && step.ignoreAbort === true;
    const settle = (): unknown => {
      if ("throws" in step) throw step.throws;
      return step.answer;
    };
    if (!step.afterMs) return Promise.resolve().then(settle);
    return new Promise((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => {
        try {
          resolve(settle());
        } catch (err) {
          reject(err);
        }
      }, step.afterMs ?? 0);
      if (!ignoreAbort) {
        signal.addEventListener(
          "abort",
          () => {
            this.#clock.clearTimeout(timer);
            reject(signal.reason);
          },
          { once: true },
        );
      }
    });
  }
}

export function scripted(clock: ManualClock, scripts: Script[]): ScriptedParticipant[] {
  return scripts.map((s) => new ScriptedParticipant(clock, s));
}

/** Let pending promise callbacks run (no time passes on the ManualClock). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Move the ManualClock forward in steps, letting promise callbacks run after each step, so that an
 * answer due at t is seen at t (ManualClock.advance fires all due timers in one synchronous go).
 */
export async function drive(clock: ManualClock, ms: number, stepMs = 10): Promise<void> {
  await flush();
  for (let done = 0; done < ms; ) {
    const step = Math.min(stepMs, ms - done);
    clock.advance(step);
    done += step;
    await flush();
  }
}

/** Drive the clock until `promise` settles (at most `limitMs`), then return its result. */
export async function driveUntil<T>(clock: ManualClock, promise: Promise<T>, limitMs = 60_000, stepMs = 10): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => {
    settled = true;
  });
  watched.catch(() => {});
  await flush();
  for (let t = 0; !settled && t < limitMs; t += stepMs) await drive(clock, stepMs, stepMs);
  if (!settled) throw new Error(`the promise did not settle within ${limitMs} ms of the manual clock`);
  return watched;
}
