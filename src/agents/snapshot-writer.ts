/**
 * Stores the supervisor's snapshot of every agent: on a clock period, and soon after a state change.
 * State changes come in bursts (a thousand agents starting at once), so those are written once per
 * event-loop turn. A failing write is logged, never thrown: accounting must not hurt the agents.
 */
import type { Clock, TimerHandle } from "../core/clock.js";
import { toLosError } from "../core/errors.js";
import type { Logger } from "../core/types.js";
import type { AgentSnapshot } from "../store/agents-repo.js";

export class SnapshotWriter {
  #clock: Clock;
  #log: Logger;
  #persist: ((agents: AgentSnapshot[]) => void) | undefined;
  #everyMs: number;
  #snapshot: () => AgentSnapshot[];
  #timer: TimerHandle | undefined;
  #soon = false;
  #running = false;

  constructor(clock: Clock, log: Logger, persist: ((agents: AgentSnapshot[]) => void) | undefined, everyMs: number, snapshot: () => AgentSnapshot[]) {
    this.#clock = clock;
    this.#log = log;
    this.#persist = persist;
    this.#everyMs = everyMs;
    this.#snapshot = snapshot;
  }

  start(): void {
    if (!this.#persist || this.#running) return;
    this.#running = true;
    this.#arm();
  }

  /** a state changed: write within this turn of the event loop */
  soon(): void {
    if (!this.#running || this.#soon) return;
    this.#soon = true;
    setImmediate(() => {
      this.#soon = false;
      if (this.#running) this.#write();
    });
  }

  /** stop the period and write the final snapshot */
  close(): void {
    if (!this.#running) return;
    this.#running = false;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#write();
  }

  #arm(): void {
    this.#timer = this.#clock.setTimeout(() => {
      this.#write();
      if (this.#running) this.#arm();
    }, this.#everyMs);
    this.#timer.unref?.();
  }

  #write(): void {
    try {
      this.#persist?.(this.#snapshot());
    } catch (err) {
      this.#log.warn({ err: toLosError(err).message }, "could not store the agents' snapshot");
    }
  }
}
