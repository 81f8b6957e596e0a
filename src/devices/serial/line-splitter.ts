/**
 * Cuts a byte stream into text lines at a terminator (default "\n"; a trailing "\r" is dropped).
 * A line longer than `maxLineBytes` is dropped whole (up to its terminator) and counted: a device
 * sending garbage without line ends must not grow the buffer without bound. Pure, no I/O.
 */

export const DEFAULT_MAX_LINE_BYTES = 1024;

export interface LineSplitterOptions {
  eol?: string;
  maxLineBytes?: number;
}

export class LineSplitter {
  readonly #eol: Buffer;
  readonly #max: number;
  #parts: Buffer[] = [];
  #pending = 0;
  /** the current line overflowed: discard until the next terminator */
  #discarding = false;
  /** lines dropped for being too long */
  overlong = 0;

  constructor(options: LineSplitterOptions = {}) {
    this.#eol = Buffer.from(options.eol ?? "\n", "latin1");
    this.#max = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  /** Feed bytes; returns the complete lines they finish (without terminator). */
  push(chunk: Buffer): string[] {
    const out: string[] = [];
    let buf = chunk;
    if (this.#pending > 0 && this.#eol.length > 1) {
      // a multi-byte terminator may straddle chunks: search the joined tail
      buf = Buffer.concat([...this.#parts, chunk]);
      this.#parts = [];
      this.#pending = 0;
    }
    let start = 0;
    for (;;) {
      const at = buf.indexOf(this.#eol, start);
      if (at < 0) break;
      this.#finish(buf.subarray(start, at), out);
      start = at + this.#eol.length;
    }
    const rest = buf.subarray(start);
    if (rest.length === 0) return out;
    if (this.#discarding) return out;
    if (this.#pending + rest.length > this.#max) {
      this.#parts = [];
      this.#pending = 0;
      this.#discarding = true;
      this.overlong++;
      return out;
    }
    // copy: the caller may reuse its chunk
    this.#parts.push(Buffer.from(rest));
    this.#pending += rest.length;
    return out;
  }

  /** Forget a partial line (the port was closed). */
  reset(): void {
    this.#parts = [];
    this.#pending = 0;
    this.#discarding = false;
  }

  #finish(tail: Buffer, out: string[]): void {
    if (this.#discarding) {
      this.#discarding = false;
      return;
    }
    let line: Buffer = tail;
    if (this.#pending > 0) {
      line = Buffer.concat([...this.#parts, tail]);
      this.#parts = [];
      this.#pending = 0;
    }
    if (line.length > this.#max) {
      this.overlong++;
      return;
    }
    let end = line.length;
    if (end > 0 && line[end - 1] === 0x0d) end--;
    out.push(line.toString("latin1", 0, end));
  }
}
