/**
 * Frame checksums used by binary serial protocols: 8-bit sum, 8-bit XOR and CRC-16/MODBUS
 * (poly 0xA001 reflected, init 0xFFFF, sent low byte first as Modbus RTU does). Pure functions.
 */

export type FrameChecksum = "none" | "sum8" | "xor8" | "crc16-modbus";

export function sum8(bytes: Uint8Array, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i++) s = (s + bytes[i]!) & 0xff;
  return s;
}

export function xor8(bytes: Uint8Array, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i++) s ^= bytes[i]!;
  return s;
}

const CRC_TABLE = (() => {
  const t = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    t[n] = c;
  }
  return t;
})();

export function crc16Modbus(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ CRC_TABLE[(crc ^ bytes[i]!) & 0xff]!;
  return crc;
}

/** Bytes the checksum occupies after the payload. */
export function checksumLength(kind: FrameChecksum): number {
  return kind === "none" ? 0 : kind === "crc16-modbus" ? 2 : 1;
}

/** True when the checksum stored at `at` matches the bytes [start, end). */
export function checksumMatches(kind: FrameChecksum, bytes: Uint8Array, start: number, end: number, at: number): boolean {
  switch (kind) {
    case "none":
      return true;
    case "sum8":
      return bytes[at] === sum8(bytes, start, end);
    case "xor8":
      return bytes[at] === xor8(bytes, start, end);
    case "crc16-modbus": {
      const crc = crc16Modbus(bytes, start, end);
      return bytes[at] === (crc & 0xff) && bytes[at + 1] === crc >>> 8;
    }
  }
}
