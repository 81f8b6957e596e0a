/**
 * Typed values <-> 16-bit Modbus registers, for simulator models. Bytes inside a register are big
 * endian on the wire (Modbus); `byteOrder: "little"` swaps them (some devices do). `wordOrder`
 * orders registers of 32/64-bit values: "big" puts the most significant register first.
 *
 * Deliberately written apart from the gateway's codec (src/devices/codec.ts): the simulator plays
 * the device, so a byte- or word-order bug shared by both sides would pass every test unseen.
 */

export type NumericType = "int16" | "uint16" | "int32" | "uint32" | "float32" | "float64";
export type WordOrder = "big" | "little";
export type ByteOrder = "big" | "little";

export interface WordLayout {
  wordOrder?: WordOrder;
  byteOrder?: ByteOrder;
}

const WORDS: Record<NumericType, number> = {
  int16: 1,
  uint16: 1,
  int32: 2,
  uint32: 2,
  float32: 2,
  float64: 4,
};

/** Number of 16-bit registers a value of `type` occupies. */
export function wordCount(type: NumericType): number {
  return WORDS[type];
}

/** Encode `value` as registers. Integers are rounded and wrapped to the type's width. */
export function encodeValue(type: NumericType, value: number, layout: WordLayout = {}): number[] {
  const buf = Buffer.alloc(WORDS[type] * 2);
  switch (type) {
    case "int16":
    case "uint16":
      buf.writeUInt16BE(wrap(value, 0x10000), 0);
      break;
    case "int32":
    case "uint32":
      buf.writeUInt32BE(wrap(value, 0x100000000), 0);
      break;
    case "float32":
      buf.writeFloatBE(value, 0);
      break;
    case "float64":
      buf.writeDoubleBE(value, 0);
      break;
  }
  return toWords(buf, layout);
}

/** Decode registers (as read from the bank or the wire) into a number. */
export function decodeValue(type: NumericType, words: readonly number[], layout: WordLayout = {}): number {
  const n = WORDS[type];
  if (words.length < n) throw new RangeError(`${type} needs ${n} registers, got ${words.length}`);
  const buf = fromWords(words.slice(0, n), layout);
  switch (type) {
    case "int16":
      return buf.readInt16BE(0);
    case "uint16":
      return buf.readUInt16BE(0);
    case "int32":
      return buf.readInt32BE(0);
    case "uint32":
      return buf.readUInt32BE(0);
    case "float32":
      return buf.readFloatBE(0);
    case "float64":
      return buf.readDoubleBE(0);
  }
}

function wrap(value: number, modulus: number): number {
  if (!Number.isFinite(value)) throw new RangeError(`cannot encode ${value} as an integer register value`);
  const r = Math.round(value) % modulus;
  return r < 0 ? r + modulus : r;
}

/** Big-endian bytes -> registers in the requested layout. */
function toWords(buf: Buffer, layout: WordLayout): number[] {
  const words: number[] = [];
  for (let i = 0; i < buf.length; i += 2) {
    const w = buf.readUInt16BE(i);
    words.push(layout.byteOrder === "little" ? swapBytes(w) : w);
  }
  return layout.wordOrder === "little" ? words.reverse() : words;
}

/** Registers in a layout -> big-endian bytes. */
function fromWords(words: readonly number[], layout: WordLayout): Buffer {
  const ordered = layout.wordOrder === "little" ? [...words].reverse() : words;
  const buf = Buffer.alloc(ordered.length * 2);
  ordered.forEach((w, i) => buf.writeUInt16BE(layout.byteOrder === "little" ? swapBytes(w & 0xffff) : w & 0xffff, i * 2));
  return buf;
}

function swapBytes(w: number): number {
  return ((w & 0xff) << 8) | ((w >>> 8) & 0xff);
}
