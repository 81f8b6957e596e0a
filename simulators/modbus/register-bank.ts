/**
 * The memory of one Modbus unit (slave): coils, discrete inputs, input registers and holding
 * registers, 65536 of each, stored sparsely in 256-entry pages so that many simulated devices stay
 * cheap. A bank may declare which address ranges exist; the PDU handler answers exception 02 outside
 * them. Models write values directly; client writes go through `clientWrite`, which consults the
 * write guard and then notifies `onWrite` listeners.
 */
import { decodeValue, encodeValue, wordCount, type NumericType, type WordLayout } from "./value-codec.js";

export type RegisterKind = "coil" | "discrete" | "input" | "holding";
export type BitKind = "coil" | "discrete";
export type WordKind = "input" | "holding";
export type WritableKind = "coil" | "holding";

export const REGISTER_KINDS: readonly RegisterKind[] = ["coil", "discrete", "input", "holding"];

export interface AddressRange {
  /** First 0-based address. */
  start: number;
  /** Number of addresses. */
  count: number;
}

export interface RegisterBankOptions {
  /**
   * Address ranges that exist, per kind. A kind left out has the full 0..65535 space; a kind given
   * an empty list has none (every access answers exception 02).
   */
  ranges?: Partial<Record<RegisterKind, AddressRange[]>>;
}

/** Sees every client write after it is applied. Coil values are 0 or 1. */
export type WriteListener = (kind: WritableKind, address: number, values: readonly number[]) => void;

/** May refuse a client write by returning a Modbus exception code (e.g. 3); undefined accepts it. */
export type WriteGuard = (kind: WritableKind, address: number, values: readonly number[]) => number | undefined;

const PAGE = 256;
const SPACE = 0x10000;

class PagedArray {
  readonly #pages = new Map<number, Uint16Array>();

  get(address: number): number {
    return this.#pages.get(address >>> 8)?.[address & 0xff] ?? 0;
  }

  set(address: number, value: number): void {
    const key = address >>> 8;
    let page = this.#pages.get(key);
    if (!page) {
      if (value === 0) return;
      page = new Uint16Array(PAGE);
      this.#pages.set(key, page);
    }
    page[address & 0xff] = value;
  }
}

export class RegisterBank {
  readonly #store: Record<RegisterKind, PagedArray> = {
    coil: new PagedArray(),
    discrete: new PagedArray(),
    input: new PagedArray(),
    holding: new PagedArray(),
  };
  readonly #ranges: Partial<Record<RegisterKind, AddressRange[]>>;
  readonly #listeners = new Set<WriteListener>();
  #guard: WriteGuard | undefined;

  constructor(options: RegisterBankOptions = {}) {
    this.#ranges = {};
    for (const kind of REGISTER_KINDS) {
      const list = options.ranges?.[kind];
      if (list) this.#ranges[kind] = list.map((r) => checkRange(r));
    }
  }

  /** Declare that `count` addresses from `start` exist (turns the kind into a declared map). */
  declare(kind: RegisterKind, start: number, count: number): this {
    const list = (this.#ranges[kind] ??= []);
    list.push(checkRange({ start, count }));
    return this;
  }

  /** True when every address in [address, address + count) exists. */
  exists(kind: RegisterKind, address: number, count = 1): boolean {
    if (!Number.isInteger(address) || !Number.isInteger(count) || count < 1) return false;
    if (address < 0 || address + count > SPACE) return false;
    const list = this.#ranges[kind];
    if (!list) return true;
    // Ranges may be adjacent: walk from address, jumping to the end of each covering range.
    let next = address;
    const end = address + count;
    while (next < end) {
      const cover = list.find((r) => r.start <= next && next < r.start + r.count);
      if (!cover) return false;
      next = cover.start + cover.count;
    }
    return true;
  }

  /** The declared ranges of a kind, or undefined when the whole space exists. */
  ranges(kind: RegisterKind): readonly AddressRange[] | undefined {
    return this.#ranges[kind];
  }

  // --- bits -------------------------------------------------------------------------------------

  getBit(kind: BitKind, address: number): boolean {
    return this.#store[kind].get(checkAddress(address)) !== 0;
  }

  setBit(kind: BitKind, address: number, value: boolean): void {
    this.#store[kind].set(checkAddress(address), value ? 1 : 0);
  }

  getBits(kind: BitKind, address: number, count: number): boolean[] {
    checkSpan(address, count);
    const out: boolean[] = [];
    for (let i = 0; i < count; i++) out.push(this.#store[kind].get(address + i) !== 0);
    return out;
  }

  setBits(kind: BitKind, address: number, values: readonly boolean[]): void {
    checkSpan(address, values.length);
    values.forEach((v, i) => this.#store[kind].set(address + i, v ? 1 : 0));
  }

  // --- raw words --------------------------------------------------------------------------------

  getWord(kind: WordKind, address: number): number {
    return this.#store[kind].get(checkAddress(address));
  }

  setWord(kind: WordKind, address: number, value: number): void {
    this.#store[kind].set(checkAddress(address), value & 0xffff);
  }

  getWords(kind: WordKind, address: number, count: number): number[] {
    checkSpan(address, count);
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push(this.#store[kind].get(address + i));
    return out;
  }

  setWords(kind: WordKind, address: number, values: readonly number[]): void {
    checkSpan(address, values.length);
    values.forEach((v, i) => this.#store[kind].set(address + i, v & 0xffff));
  }

  /** Read one bit (0..15) of a register, e.g. a flag in a status word. */
  getRegisterBit(kind: WordKind, address: number, bit: number): boolean {
    return ((this.getWord(kind, address) >>> checkBit(bit)) & 1) === 1;
  }

  setRegisterBit(kind: WordKind, address: number, bit: number, value: boolean): void {
    const mask = 1 << checkBit(bit);
    const word = this.getWord(kind, address);
    this.setWord(kind, address, value ? word | mask : word & ~mask);
  }

  // --- typed values -----------------------------------------------------------------------------

  /** Write a typed value (1, 2 or 4 registers) at `address`. */
  writeValue(kind: WordKind, address: number, type: NumericType, value: number, layout: WordLayout = {}): void {
    this.setWords(kind, address, encodeValue(type, value, layout));
  }

  /** Read a typed value from `address`. */
  readValue(kind: WordKind, address: number, type: NumericType, layout: WordLayout = {}): number {
    return decodeValue(type, this.getWords(kind, address, wordCount(type)), layout);
  }

  // --- client writes ----------------------------------------------------------------------------

  /** Listen to client writes (after they are applied). Returns an unsubscribe function. */
  onWrite(listener: WriteListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Install (or remove with undefined) the guard that may refuse client writes. */
  setWriteGuard(guard: WriteGuard | undefined): void {
    this.#guard = guard;
  }

  /**
   * Apply a write coming from a Modbus client: ask the guard, store, notify listeners. Returns a
   * Modbus exception code when the guard refuses (nothing is stored then), otherwise undefined.
   */
  clientWrite(kind: WritableKind, address: number, values: readonly number[]): number | undefined {
    const refused = this.#guard?.(kind, address, values);
    if (refused !== undefined) return refused;
    if (kind === "coil") this.setBits("coil", address, values.map((v) => v !== 0));
    else this.setWords("holding", address, values);
    const copy = kind === "coil" ? values.map((v) => (v !== 0 ? 1 : 0)) : values.map((v) => v & 0xffff);
    for (const listener of this.#listeners) listener(kind, address, copy);
    return undefined;
  }
}

function checkAddress(address: number): number {
  if (!Number.isInteger(address) || address < 0 || address >= SPACE) {
    throw new RangeError(`Modbus address ${address} is outside 0..65535`);
  }
  return address;
}

function checkSpan(address: number, count: number): void {
  checkAddress(address);
  if (!Number.isInteger(count) || count < 0 || address + count > SPACE) {
    throw new RangeError(`span of ${count} from ${address} leaves the 0..65535 address space`);
  }
}

function checkBit(bit: number): number {
  if (!Number.isInteger(bit) || bit < 0 || bit > 15) throw new RangeError(`bit ${bit} is outside 0..15`);
  return bit;
}

function checkRange(range: AddressRange): AddressRange {
  checkSpan(range.start, range.count);
  return { start: range.start, count: range.count };
}
