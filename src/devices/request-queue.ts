/**
 * Per-connection request queue. A serial bus (and most Modbus TCP devices) answers one request at a
 * time, so every request of a connection goes through one queue that:
 * - keeps at most `maxInFlight` requests on the wire (1 for RTU and by default for TCP);
 * - leaves `interFrameDelayMs` of quiet time between the end of a request and the next start;
 * - serves writes before polls;
 * - bounds the polls waiting (`maxQueued`): an identical poll already waiting is shared (coalesced),
 *   and when the bus cannot keep up the oldest waiting poll is dropped (LOS_E_DEVICE_BUSY) with a
 *   counter; writes are never dropped;
 * - on close, rejects everything still waiting with LOS_E_DRIVER_CLOSED.
 * Timers come from the injected clock; nothing here throws from a timer.
 */
import { systemClock, type Clock, type TimerHandle } from "../core/clock.js";
import { LosError } from "../core/errors.js";

export type RequestPriority = "write" | "poll";

export interface RequestQueueOptions {
  clock?: Clock;
  maxInFlight?: number;
  interFrameDelayMs?: number;
  /** polls allowed to wait; older ones are dropped beyond this (default 64) */
  maxQueued?: number;
}

export interface EnqueueOptions {
  priority?: RequestPriority;
  /** polls with the same key waiting at the same time share one execution */
  key?: string;
}

export interface RequestQueueStats {
  queued: number;
  inFlight: number;
  completed: number;
  dropped: number;
  coalesced: number;
}

interface Job {
  run: () => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  promise: Promise<unknown>;
  key: string | undefined;
}

export class RequestQueue {
  #clock: Clock;
  #maxInFlight: number;
  #delay: number;
  #maxQueued: number;
  #writes: Job[] = [];
  #polls: Job[] = [];
  #byKey = new Map<string, Job>();
  #inFlight = 0;
  #lastDoneAt = -Infinity;
  #timer: TimerHandle | undefined;
  #closed = false;
  #completed = 0;
  #dropped = 0;
  #coalesced = 0;

  constructor(options: RequestQueueOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#maxInFlight = Math.max(1, options.maxInFlight ?? 1);
    this.#delay = Math.max(0, options.interFrameDelayMs ?? 0);
    this.#maxQueued = Math.max(1, options.maxQueued ?? 64);
  }

  /** Queue `run`; the promise settles with its outcome (or a queue error: closed, dropped). */
  enqueue<T>(run: () => Promise<T>, options: EnqueueOptions = {}): Promise<T> {
    if (this.#closed) return Promise.reject(new LosError("LOS_E_DRIVER_CLOSED"));
    const priority = options.priority ?? "poll";
    const key = priority === "poll" ? options.key : undefined;
    if (key !== undefined) {
      const same = this.#byKey.get(key);
      if (same) {
        this.#coalesced++;
        return same.promise as Promise<T>;
      }
    }
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const job: Job = { run, resolve, reject, promise, key };
    if (priority === "write") {
      this.#writes.push(job);
    } else {
      if (this.#polls.length >= this.#maxQueued) {
        const oldest = this.#polls.shift()!;
        this.#forget(oldest);
        this.#dropped++;
        oldest.reject(new LosError("LOS_E_DEVICE_BUSY", undefined, { details: { queued: this.#maxQueued } }));
      }
      this.#polls.push(job);
      if (key !== undefined) this.#byKey.set(key, job);
    }
    this.#pump();
    return promise as Promise<T>;
  }

  stats(): RequestQueueStats {
    return {
      queued: this.#writes.length + this.#polls.length,
      inFlight: this.#inFlight,
      completed: this.#completed,
      dropped: this.#dropped,
      coalesced: this.#coalesced,
    };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Reject everything waiting with LOS_E_DRIVER_CLOSED; requests in flight finish on their own. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const pending = [...this.#writes, ...this.#polls];
    this.#writes = [];
    this.#polls = [];
    this.#byKey.clear();
    for (const job of pending) job.reject(new LosError("LOS_E_DRIVER_CLOSED"));
  }

  #forget(job: Job): void {
    if (job.key !== undefined && this.#byKey.get(job.key) === job) this.#byKey.delete(job.key);
  }

  #pump(): void {
    while (!this.#closed && this.#inFlight < this.#maxInFlight && this.#timer === undefined) {
      if (this.#writes.length === 0 && this.#polls.length === 0) return;
      if (this.#delay > 0) {
        const wait = this.#lastDoneAt + this.#delay - this.#clock.monotonic();
        if (wait > 0) {
          this.#timer = this.#clock.setTimeout(() => {
            this.#timer = undefined;
            this.#pump();
          }, wait);
          this.#timer.unref?.();
          return;
        }
      }
      const job = this.#writes.length > 0 ? this.#writes.shift()! : this.#polls.shift()!;
      this.#forget(job);
      this.#start(job);
    }
  }

  #start(job: Job): void {
    this.#inFlight++;
    // With an inter-frame delay and several in flight, space the starts too.
    if (this.#delay > 0 && this.#maxInFlight > 1) this.#lastDoneAt = this.#clock.monotonic();
    let p: Promise<unknown>;
    try {
      p = job.run();
    } catch (err) {
      p = Promise.reject(err);
    }
    // Account for the finished request before its caller hears of it.
    p.then(
      (v) => {
        this.#finished();
        job.resolve(v);
      },
      (e: unknown) => {
        this.#finished();
        job.reject(e);
      },
    );
  }

  #finished(): void {
    this.#inFlight--;
    this.#completed++;
    this.#lastDoneAt = this.#clock.monotonic();
    this.#pump();
  }
}
