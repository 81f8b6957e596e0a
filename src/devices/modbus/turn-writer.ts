/**
 * Collects what is written during one event-loop turn into a reusable staging buffer and hands it to
 * the socket as one chunk in `setImmediate`, after every timer callback, promise reaction and
 * next-tick of the turn has run: requests issued together leave in one write syscall.
 */
export class TurnWriter {
  readonly #sink: (chunk: Buffer) => void;
  #buf: Buffer;
  #len = 0;
  #scheduled: ReturnType<typeof setImmediate> | undefined;
  #writes = 0;

  constructor(sink: (chunk: Buffer) => void, initialBytes = 1024) {
    this.#sink = sink;
    this.#buf = Buffer.allocUnsafeSlow(initialBytes);
  }

  /** The staging buffer; valid until the next `reserve`. */
  get buffer(): Buffer {
    return this.#buf;
  }

  /** Chunks handed to the sink so far. */
  get writes(): number {
    return this.#writes;
  }

  /** Reserve `bytes` at the returned offset of `buffer`, to be filled at once; schedules the flush. */
  reserve(bytes: number): number {
    const at = this.#len;
    if (at + bytes > this.#buf.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(at + bytes, 2 * this.#buf.length));
      this.#buf.copy(bigger, 0, 0, at);
      this.#buf = bigger;
    }
    this.#len = at + bytes;
    this.#scheduled ??= setImmediate(this.#flush);
    return at;
  }

  /** Drop what is staged and the pending flush (the connection is going away). */
  discard(): void {
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    this.#len = 0;
  }

  readonly #flush = (): void => {
    this.#scheduled = undefined;
    if (this.#len === 0) return;
    // The staging buffer is reused at once while the socket may hold a chunk until it drains: copy.
    const chunk = Buffer.allocUnsafe(this.#len);
    this.#buf.copy(chunk, 0, 0, this.#len);
    this.#len = 0;
    this.#writes++;
    this.#sink(chunk);
  };
}
