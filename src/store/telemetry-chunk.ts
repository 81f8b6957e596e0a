/**
 * Chunks of history.db (schema v2): the samples of one point from one flush packed into one row, so
 * SQLite maintains one index entry per point per flush instead of one per sample (see docs/store.md).
 * A chunk holds samples in time order, at most CHUNK_MAX_SAMPLES of them, spanning at most
 * CHUNK_MAX_SPAN_MS: queries rely on that bound to seek by the chunk's first timestamp.
 *
 * Two blob formats, chosen per chunk by the builder:
 * - PLAIN (tag 1), the common case: every sample a good number without error, integer timestamps.
 *   n × uint16 (ts - ts_first), then n × float64 value. 10 bytes per sample.
 * - FULL (tag 2), anything else, lossless: per sample a flags byte (value type, quality, has error),
 *   float64 ts, then float64 num or (uint32 length + UTF-8) text, then (uint32 length + UTF-8) error.
 */

export const CHUNK_MAX_SPAN_MS = 60_000;
export const CHUNK_MAX_SAMPLES = 1024;

const TAG_PLAIN = 1;
const TAG_FULL = 2;
const V_NULL = 0;
const V_NUM = 1;
const V_TXT = 2;
const HAS_ERROR = 16;

/** One stored sample, as the v1 samples table had it: the point's kind turns num into a boolean. */
export interface ChunkSample {
  ts: number;
  num: number | null;
  txt: string | null;
  quality: number;
  error: string | null;
}

/** Accumulates time-ordered samples of one point and encodes them. Reused across chunks: no allocation per sample. */
export class ChunkBuilder {
  #ts = new Float64Array(CHUNK_MAX_SAMPLES);
  #num = new Float64Array(CHUNK_MAX_SAMPLES);
  #flags = new Uint8Array(CHUNK_MAX_SAMPLES);
  #txt: (string | null)[] = new Array<string | null>(CHUNK_MAX_SAMPLES).fill(null);
  #err: (string | null)[] = new Array<string | null>(CHUNK_MAX_SAMPLES).fill(null);
  #n = 0;
  #plain = true;

  get size(): number {
    return this.#n;
  }
  get first(): number {
    return this.#ts[0]!;
  }
  get last(): number {
    return this.#ts[this.#n - 1]!;
  }

  /** Whether a sample at `ts` (not older than the last one added) may join this chunk. */
  fits(ts: number): boolean {
    return this.#n === 0 || (this.#n < CHUNK_MAX_SAMPLES && ts - this.#ts[0]! <= CHUNK_MAX_SPAN_MS);
  }

  add(ts: number, num: number | null, txt: string | null, quality: number, error: string | null): void {
    const i = this.#n++;
    this.#ts[i] = ts;
    let flags: number;
    if (txt !== null) {
      flags = V_TXT;
      this.#txt[i] = txt;
    } else if (num !== null) {
      flags = V_NUM;
      this.#num[i] = num;
    } else {
      flags = V_NULL;
    }
    flags |= (quality & 3) << 2;
    if (error !== null) {
      flags |= HAS_ERROR;
      this.#err[i] = error;
    }
    this.#flags[i] = flags;
    if (flags !== V_NUM || !Number.isInteger(ts)) this.#plain = false;
  }

  /** The blob of the samples added since the last reset. */
  encode(): Buffer {
    return this.#plain ? this.#encodePlain() : this.#encodeFull();
  }

  reset(): void {
    for (let i = 0; i < this.#n; i++) {
      this.#txt[i] = null;
      this.#err[i] = null;
    }
    this.#n = 0;
    this.#plain = true;
  }

  #encodePlain(): Buffer {
    const n = this.#n;
    const buf = Buffer.allocUnsafe(1 + 10 * n);
    buf[0] = TAG_PLAIN;
    const t0 = this.#ts[0]!;
    const values = 1 + 2 * n;
    for (let i = 0; i < n; i++) {
      buf.writeUInt16LE(this.#ts[i]! - t0, 1 + 2 * i);
      buf.writeDoubleLE(this.#num[i]!, values + 8 * i);
    }
    return buf;
  }

  #encodeFull(): Buffer {
    const n = this.#n;
    let size = 1;
    for (let i = 0; i < n; i++) {
      const f = this.#flags[i]!;
      size += 9;
      if ((f & 3) === V_NUM) size += 8;
      else if ((f & 3) === V_TXT) size += 4 + Buffer.byteLength(this.#txt[i]!);
      if (f & HAS_ERROR) size += 4 + Buffer.byteLength(this.#err[i]!);
    }
    const buf = Buffer.allocUnsafe(size);
    buf[0] = TAG_FULL;
    let o = 1;
    for (let i = 0; i < n; i++) {
      const f = this.#flags[i]!;
      buf[o] = f;
      buf.writeDoubleLE(this.#ts[i]!, o + 1);
      o += 9;
      if ((f & 3) === V_NUM) o = buf.writeDoubleLE(this.#num[i]!, o);
      else if ((f & 3) === V_TXT) o = writeString(buf, o, this.#txt[i]!);
      if (f & HAS_ERROR) o = writeString(buf, o, this.#err[i]!);
    }
    return buf;
  }
}

function writeString(buf: Buffer, o: number, s: string): number {
  const len = buf.write(s, o + 4, "utf8");
  buf.writeUInt32LE(len, o);
  return o + 4 + len;
}

/** Calls `each` for every sample of a chunk, oldest first (index = position in the chunk). */
export function decodeChunk(data: Buffer, tsFirst: number, n: number, each: (s: ChunkSample, index: number) => void): void {
  if (data[0] === TAG_PLAIN) {
    const values = 1 + 2 * n;
    for (let i = 0; i < n; i++) {
      each({ ts: tsFirst + data.readUInt16LE(1 + 2 * i), num: data.readDoubleLE(values + 8 * i), txt: null, quality: 0, error: null }, i);
    }
    return;
  }
  if (data[0] !== TAG_FULL) throw new Error(`unknown chunk format ${data[0]}`);
  let o = 1;
  for (let i = 0; i < n; i++) {
    const f = data[o]!;
    const ts = data.readDoubleLE(o + 1);
    o += 9;
    let num: number | null = null;
    let txt: string | null = null;
    let error: string | null = null;
    if ((f & 3) === V_NUM) {
      num = data.readDoubleLE(o);
      o += 8;
    } else if ((f & 3) === V_TXT) {
      const len = data.readUInt32LE(o);
      txt = data.toString("utf8", o + 4, o + 4 + len);
      o += 4 + len;
    }
    if (f & HAS_ERROR) {
      const len = data.readUInt32LE(o);
      error = data.toString("utf8", o + 4, o + 4 + len);
      o += 4 + len;
    }
    each({ ts, num, txt, quality: (f >> 2) & 3, error }, i);
  }
}
