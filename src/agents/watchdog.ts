/**
 * The heartbeat watchdog: one sweep timer for every watched agent. An agent is watched from its
 * start when the gateway started it, else from its first heartbeat (an external agent may connect
 * late); silence longer than its limit calls
 * `onSilent` once. If the sweep itself ran late (the gateway's own event loop stalled), nobody
 * could have been heard: the round only resets the clocks instead of blaming the agents.
 */
import type { Clock, TimerHandle } from "../core/clock.js";

interface Watch {
  limitMs: number;
  everyMs: number;
  lastBeat: number | undefined;
  onSilent: () => void;
}

export class Watchdog {
  #clock: Clock;
  #watches = new Map<string, Watch>();
  #timer: TimerHandle | undefined;
  #everyMs = Infinity;
  #lastSweep = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * Watch an agent's run; `everyMs` is how often it should beat, `limitMs` the silence allowed.
   * `armed`: count the silence from now (an agent we started and that said it is ready) rather than
   * from its first heartbeat (an external agent that may connect later).
   */
  watch(id: string, limitMs: number, everyMs: number, onSilent: () => void, armed = false): void {
    this.#watches.set(id, { limitMs, everyMs, lastBeat: armed ? this.#clock.monotonic() : undefined, onSilent });
    this.#reschedule();
  }

  unwatch(id: string): void {
    if (this.#watches.delete(id)) this.#reschedule();
  }

  beat(id: string): void {
    const w = this.#watches.get(id);
    if (w) w.lastBeat = this.#clock.monotonic();
  }

  close(): void {
    this.#watches.clear();
    this.#reschedule();
  }

  #reschedule(): void {
    let every = Infinity;
    for (const w of this.#watches.values()) every = Math.min(every, w.everyMs);
    if (every === this.#everyMs && this.#timer) return;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#everyMs = every;
    if (every === Infinity) return;
    this.#lastSweep = this.#clock.monotonic();
    this.#arm();
  }

  #arm(): void {
    this.#timer = this.#clock.setTimeout(() => this.#sweep(), this.#everyMs);
    this.#timer.unref?.();
  }

  #sweep(): void {
    const now = this.#clock.monotonic();
    const stalled = now - this.#lastSweep > 2 * this.#everyMs;
    this.#lastSweep = now;
    const silent: Watch[] = [];
    for (const w of this.#watches.values()) {
      if (w.lastBeat === undefined) continue;
      if (stalled) w.lastBeat = now;
      else if (now - w.lastBeat > w.limitMs) silent.push(w);
    }
    this.#arm();
    for (const w of silent) {
      w.lastBeat = undefined;
      w.onSilent();
    }
  }
}
