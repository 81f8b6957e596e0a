/**
 * The telemetry write buffer: a ring of columns (typed arrays for numbers, plain arrays holding
 * references for strings), so appending a reading copies a few fields and allocates nothing.
 * It grows by doubling up to `maxRows`; when full it overwrites the oldest row and counts it dropped.
 */
import type { Reading } from "../core/types.js";
import { KIND_BOOLEAN, KIND_NONE, KIND_NUMBER, KIND_STRING, QUALITY_CODES } from "./telemetry-codec.js";

const UNCERTAIN = QUALITY_CODES.uncertain;

export class ReadingBuffer {
  readonly maxRows: number;
  #cap: number;
  #head = 0;
  #size = 0;
  #dropped = 0;
  #names: (string | null)[];
  #txt: (string | null)[];
  #err: (string | null)[];
  #ts: Float64Array;
  #num: Float64Array;
  #kind: Uint8Array;
  #quality: Uint8Array;

  constructor(initialRows: number, maxRows: number) {
    this.maxRows = Math.max(1, Math.trunc(maxRows));
    this.#cap = Math.min(Math.max(16, Math.trunc(initialRows)), this.maxRows);
    this.#names = new Array<string | null>(this.#cap).fill(null);
    this.#txt = new Array<string | null>(this.#cap).fill(null);
    this.#err = new Array<string | null>(this.#cap).fill(null);
    this.#ts = new Float64Array(this.#cap);
    this.#num = new Float64Array(this.#cap);
    this.#kind = new Uint8Array(this.#cap);
    this.#quality = new Uint8Array(this.#cap);
  }

  get size(): number {
    return this.#size;
  }

  /** Rows overwritten because the buffer was full, since creation. */
  get dropped(): number {
    return this.#dropped;
  }

  push(r: Reading): void {
    if (this.#size === this.#cap) {
      if (this.#cap < this.maxRows) {
        this.#grow();
      } else {
        this.#head = this.#head + 1 === this.#cap ? 0 : this.#head + 1;
        this.#size--;
        this.#dropped++;
      }
    }
    let i = this.#head + this.#size;
    if (i >= this.#cap) i -= this.#cap;
    this.#size++;
    this.#names[i] = r.point;
    this.#ts[i] = r.ts;
    const v = r.value;
    switch (typeof v) {
      case "number":
        this.#kind[i] = KIND_NUMBER;
        this.#num[i] = v;
        this.#txt[i] = null;
        break;
      case "boolean":
        this.#kind[i] = KIND_BOOLEAN;
        this.#num[i] = v ? 1 : 0;
        this.#txt[i] = null;
        break;
      case "string":
        this.#kind[i] = KIND_STRING;
        this.#txt[i] = v;
        break;
      default:
        this.#kind[i] = KIND_NONE;
        this.#txt[i] = null;
    }
    this.#quality[i] = QUALITY_CODES[r.quality] ?? UNCERTAIN;
    this.#err[i] = r.error ?? null;
  }

  /** Physical slot of the n-th oldest row (0 = oldest); pass it to the accessors below. */
  slot(n: number): number {
    const i = this.#head + n;
    return i >= this.#cap ? i - this.#cap : i;
  }

  name(slot: number): string {
    return this.#names[slot]!;
  }
  ts(slot: number): number {
    return this.#ts[slot]!;
  }
  kind(slot: number): number {
    return this.#kind[slot]!;
  }
  /** The numeric column value: a number, 0/1 for booleans, null for strings and missing values. */
  num(slot: number): number | null {
    const k = this.#kind[slot];
    return k === KIND_NUMBER || k === KIND_BOOLEAN ? this.#num[slot]! : null;
  }
  txt(slot: number): string | null {
    return this.#kind[slot] === KIND_STRING ? this.#txt[slot]! : null;
  }
  quality(slot: number): number {
    return this.#quality[slot]!;
  }
  error(slot: number): string | null {
    return this.#err[slot]!;
  }

  /** Forget the `n` oldest rows (they were written), releasing their string references. */
  shift(n: number): void {
    const count = Math.min(n, this.#size);
    for (let k = 0; k < count; k++) {
      const s = this.slot(k);
      this.#names[s] = null;
      this.#txt[s] = null;
      this.#err[s] = null;
    }
    this.#head = this.slot(count);
    this.#size -= count;
    if (this.#size === 0) this.#head = 0;
  }

  #grow(): void {
    const cap = Math.min(this.#cap * 2, this.maxRows);
    const names = new Array<string | null>(cap).fill(null);
    const txt = new Array<string | null>(cap).fill(null);
    const err = new Array<string | null>(cap).fill(null);
    const ts = new Float64Array(cap);
    const num = new Float64Array(cap);
    const kind = new Uint8Array(cap);
    const quality = new Uint8Array(cap);
    for (let n = 0; n < this.#size; n++) {
      const s = this.slot(n);
      names[n] = this.#names[s]!;
      txt[n] = this.#txt[s]!;
      err[n] = this.#err[s]!;
      ts[n] = this.#ts[s]!;
      num[n] = this.#num[s]!;
      kind[n] = this.#kind[s]!;
      quality[n] = this.#quality[s]!;
    }
    this.#names = names;
    this.#txt = txt;
    this.#err = err;
    this.#ts = ts;
    this.#num = num;
    this.#kind = kind;
    this.#quality = quality;
    this.#cap = cap;
    this.#head = 0;
  }
}
