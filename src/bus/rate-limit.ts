/**
 * Per-client PUBLISH rate limit: a token bucket (`rate` per second, burst of one second's worth).
 * MQTT 3.1.1 cannot refuse a QoS 0/1 PUBLISH without closing the connection, and aedes reads a
 * client's next packets only after the current ones are authorized, so a publish over the limit
 * is held (its authorization answered when a token is free): the flooding client is slowed to its
 * rate by TCP backpressure, loses nothing, and costs others nothing but a timer. Only a client
 * whose backlog would exceed `maxBacklogSeconds` of its rate is disconnected.
 */
import type { Clock, TimerHandle } from "../core/clock.js";
import type { Logger } from "../core/types.js";
import type { BusStatsCollector } from "./bus-stats.js";

export interface ThrottleOptions {
  clock: Clock;
  logger: Logger;
  stats: BusStatsCollector;
  /** held publishes allowed per client, in seconds of its rate (at least 10 messages); default 5 */
  maxBacklogSeconds?: number;
  /** one warning per client per window; default 10 s */
  logWindowMs?: number;
}

interface ClientState {
  rate: number;
  tokens: number;
  refilledAt: number;
  held: Array<(err?: Error) => void>;
  timer: TimerHandle | undefined;
  loggedAt: number | undefined;
  heldSinceLog: number;
  closed: () => boolean;
}

/** Who is throttled, for the log. */
export type ClientInfo = Record<string, unknown>;

export class PublishThrottle {
  #o: Required<ThrottleOptions>;
  #clients = new WeakMap<object, ClientState>();
  #timers = new Set<TimerHandle>();
  #closed = false;

  constructor(o: ThrottleOptions) {
    this.#o = { maxBacklogSeconds: 5, logWindowMs: 10_000, ...o };
  }

  /**
   * Let `client` publish at most `rate` messages per second: `done()` now if a token is free,
   * later in arrival order if not, `done(err)` if its backlog is full (the broker disconnects it).
   */
  admit(client: object, rate: number, closed: () => boolean, info: ClientInfo, done: (err?: Error) => void): void {
    const s = this.#state(client, rate, closed);
    this.#refill(s);
    if (s.held.length === 0 && s.tokens >= 1) {
      s.tokens -= 1;
      return done();
    }
    const maxHeld = Math.max(10, Math.ceil(rate * this.#o.maxBacklogSeconds));
    if (s.held.length >= maxHeld) {
      this.#o.stats.inc("publishFloodDisconnects");
      this.#o.logger.warn(
        { code: "LOS_E_BUS_RATE_LIMITED", ...info, messagesPerSecond: rate, held: s.held.length },
        "MQTT client keeps publishing far above its rate limit; client disconnected",
      );
      const held = s.held;
      s.held = [];
      const err = new Error("publish rate limit: backlog full");
      for (const h of held) h(err);
      return done(err);
    }
    this.#o.stats.inc("publishThrottled");
    s.heldSinceLog++;
    const now = this.#o.clock.monotonic();
    if (s.loggedAt === undefined || now - s.loggedAt >= this.#o.logWindowMs) {
      this.#o.logger.warn(
        { code: "LOS_E_BUS_RATE_LIMITED", ...info, messagesPerSecond: rate, heldInWindow: s.heldSinceLog },
        "MQTT client publishes faster than its rate limit; its messages are held back (logged once per window)",
      );
      s.loggedAt = now;
      s.heldSinceLog = 0;
    }
    s.held.push(done);
    this.#schedule(s);
  }

  /** Release nothing more (the broker is closing and drops its connections). */
  close(): void {
    this.#closed = true;
    for (const t of this.#timers) this.#o.clock.clearTimeout(t);
    this.#timers.clear();
  }

  #state(client: object, rate: number, closed: () => boolean): ClientState {
    let s = this.#clients.get(client);
    if (!s) {
      s = { rate, tokens: Math.max(1, rate), refilledAt: this.#o.clock.monotonic(), held: [], timer: undefined, loggedAt: undefined, heldSinceLog: 0, closed };
      this.#clients.set(client, s);
    }
    s.rate = rate;
    return s;
  }

  #refill(s: ClientState): void {
    const now = this.#o.clock.monotonic();
    s.tokens = Math.min(Math.max(1, s.rate), s.tokens + ((now - s.refilledAt) * s.rate) / 1000);
    s.refilledAt = now;
  }

  #schedule(s: ClientState): void {
    if (s.timer !== undefined || this.#closed) return;
    const waitMs = Math.max(1, Math.ceil(((1 - s.tokens) * 1000) / s.rate));
    const timer = this.#o.clock.setTimeout(() => {
      this.#timers.delete(timer);
      s.timer = undefined;
      this.#release(s);
    }, waitMs);
    timer.unref?.();
    s.timer = timer;
    this.#timers.add(timer);
  }

  #release(s: ClientState): void {
    if (s.closed()) {
      s.held = []; // the connection is gone: nothing to answer
      return;
    }
    this.#refill(s);
    while (s.held.length > 0 && s.tokens >= 1) {
      s.tokens -= 1;
      s.held.shift()?.();
    }
    if (s.held.length > 0) this.#schedule(s);
  }
}
