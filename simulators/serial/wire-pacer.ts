/**
 * Serial wire timing for a pty (which has none): bytes are released to the port no faster than a
 * UART at `baudRate` would shift them out, 10 bits per byte (8N1: start, 8 data, stop). Time is
 * the injected clock's monotonic time, so a ManualClock test can count the bytes released per
 * advanced second. Like a UART, byte k of a burst is complete (and released) k byte-times after
 * the burst began; releases are batched per timer, the count follows elapsed time exactly.
 */
import type { Clock, TimerHandle } from "../../src/core/clock.js";

export interface WirePacerOptions {
  baudRate: number;
  clock: Clock;
  /** Receives the bytes as the wire finishes them. */
  sink: (chunk: Buffer) => void;
  /** Bits on the wire per byte (default 10, 8N1). */
  bitsPerByte?: number;
  /** Smallest batch worth a timer, in ms of the clock (default 1). */
  minTickMs?: number;
  /**
   * Called (synchronously) when the last queued byte has left, at that byte's time: a writer
   * that queues more from here keeps the wire busy without a gap.
   */
  onDrain?: () => void;
}

interface Pending {
  bytes: Buffer;
  offset: number;
  done: () => void;
}

/** Float slack (ms) so a timer due at exactly a byte's time releases that byte. */
const SLACK_MS = 1e-6;

export class WirePacer {
  readonly bytesPerSecond: number;
  readonly #clock: Clock;
  readonly #sink: (chunk: Buffer) => void;
  readonly #minTickMs: number;
  readonly #onDrain: (() => void) | undefined;
  #queue: Pending[] = [];
  #queued = 0;
  #released = 0;
  #burstStart = 0;
  #burstReleased = 0;
  #timer: TimerHandle | undefined;

  constructor(options: WirePacerOptions) {
    if (!(options.baudRate > 0)) throw new RangeError(`baudRate must be > 0, got ${options.baudRate}`);
    this.bytesPerSecond = options.baudRate / (options.bitsPerByte ?? 10);
    this.#clock = options.clock;
    this.#sink = options.sink;
    this.#minTickMs = options.minTickMs ?? 1;
    this.#onDrain = options.onDrain;
  }

  /** Bytes waiting for the wire. */
  get queued(): number {
    return this.#queued;
  }

  /** Bytes released to the sink since the pacer was made. */
  get released(): number {
    return this.#released;
  }

  /** Queue bytes; resolves when the last of them has been released. */
  write(bytes: Buffer): Promise<void> {
    if (bytes.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      // A write at the instant the wire went idle continues the burst (no gap, no float drift).
      const idleSince = this.#burstStart + (this.#burstReleased * 1000) / this.bytesPerSecond;
      if (this.#queue.length === 0 && this.#clock.monotonic() - idleSince > SLACK_MS) {
        this.#burstStart = this.#clock.monotonic();
        this.#burstReleased = 0;
      }
      this.#queue.push({ bytes, offset: 0, done: resolve });
      this.#queued += bytes.length;
      this.#pump();
    });
  }

  /** Drop what is queued (the cable was pulled); pending writes resolve. */
  clear(): void {
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const dropped = this.#queue;
    this.#queue = [];
    this.#queued = 0;
    for (const p of dropped) p.done();
  }

  #pump(): void {
    if (this.#timer) return;
    const elapsed = this.#clock.monotonic() - this.#burstStart;
    let allowed = Math.floor(((elapsed + SLACK_MS) * this.bytesPerSecond) / 1000) - this.#burstReleased;
    const chunks: Buffer[] = [];
    while (allowed > 0 && this.#queue.length > 0) {
      const head = this.#queue[0] as Pending;
      const n = Math.min(allowed, head.bytes.length - head.offset);
      chunks.push(head.bytes.subarray(head.offset, head.offset + n));
      head.offset += n;
      allowed -= n;
      this.#burstReleased += n;
      this.#released += n;
      this.#queued -= n;
      if (head.offset === head.bytes.length) {
        this.#queue.shift();
        head.done();
      }
    }
    if (chunks.length > 0) this.#sink(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    if (this.#queue.length === 0) {
      if (chunks.length > 0) this.#onDrain?.();
      return;
    }
    // Wake when the next batch (at least one byte, at least minTickMs of wire time) is complete.
    const batch = Math.max(1, Math.min(this.#queued, Math.ceil((this.#minTickMs * this.bytesPerSecond) / 1000)));
    const dueAt = this.#burstStart + ((this.#burstReleased + batch) * 1000) / this.bytesPerSecond;
    const timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#pump();
    }, Math.max(0, dueAt - this.#clock.monotonic() - SLACK_MS / 2));
    timer.unref?.();
    this.#timer = timer;
  }
}
