/**
 * Questions the gateway asked an external agent and is waiting on, keyed by what an answer names
 * (task and round or attempt: answerKey in task-protocol.ts). An answer settles every ask waiting on
 * its key; an answer nobody waits for (late, stale attempt, unknown task) settles nothing. Each ask
 * ends exactly once: answered, aborted by the caller's signal, or rejected when the session ends.
 */
import { LosError } from "../../core/errors.js";

interface Waiter {
  resolve(value: unknown): void;
  reject(err: unknown): void;
  signal: AbortSignal;
  onAbort(): void;
  /** a malformed answer that named this question: reported if no good answer comes in time */
  malformed?: LosError;
}

export class PendingAsks {
  #byKey = new Map<string, Set<Waiter>>();

  /**
   * Wait for the answer under `key`; `send` publishes the question once the waiter is in place.
   * Rejects with the signal's reason on abort, or with LOS_E_AGENT_PROTOCOL when the only answers
   * that came were malformed (the agent spoke, but not so the gateway could count it).
   */
  wait<T>(key: string, signal: AbortSignal, send: () => Promise<void>): Promise<T> {
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      const w: Waiter = {
        resolve: resolve as (v: unknown) => void,
        reject,
        signal,
        onAbort: () => {
          this.#remove(key, w);
          const m = w.malformed;
          reject(m ? new LosError("LOS_E_AGENT_PROTOCOL", m.message, { cause: signal.reason }) : signal.reason);
        },
      };
      let set = this.#byKey.get(key);
      if (!set) this.#byKey.set(key, (set = new Set()));
      set.add(w);
      signal.addEventListener("abort", w.onAbort, { once: true });
      send().catch((err: unknown) => {
        if (this.#remove(key, w)) reject(err);
      });
    });
  }

  /** Settle every ask waiting on `key`; false when none was (the answer is ignored). */
  answer(key: string, value: unknown): boolean {
    const set = this.#byKey.get(key);
    if (!set) return false;
    this.#byKey.delete(key);
    for (const w of set) {
      w.signal.removeEventListener("abort", w.onAbort);
      w.resolve(value);
    }
    return true;
  }

  /** A malformed answer named `key`: the asks stay open (a good answer may follow) but remember it. */
  malformed(key: string, err: LosError): boolean {
    const set = this.#byKey.get(key);
    if (!set) return false;
    for (const w of set) w.malformed = err;
    return true;
  }

  /** The session ended: every ask fails with `err`. */
  rejectAll(err: LosError): void {
    const all = [...this.#byKey.values()];
    this.#byKey.clear();
    for (const set of all) {
      for (const w of set) {
        w.signal.removeEventListener("abort", w.onAbort);
        w.reject(err);
      }
    }
  }

  /** asks waiting now (for tests and leak checks) */
  size(): number {
    let n = 0;
    for (const set of this.#byKey.values()) n += set.size;
    return n;
  }

  #remove(key: string, w: Waiter): boolean {
    const set = this.#byKey.get(key);
    if (!set?.delete(w)) return false;
    w.signal.removeEventListener("abort", w.onAbort);
    if (set.size === 0) this.#byKey.delete(key);
    return true;
  }
}
