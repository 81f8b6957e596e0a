/**
 * Modbus PDUs of the function codes the driver uses (Modbus Application Protocol v1.1b3, 6.1–6.12):
 * 1/2 read coils / discrete inputs, 3/4 read holding / input registers, 5/6 write one coil /
 * register, 15/16 write several coils / registers. Requests are encoded in place into the caller's
 * buffer; a response is checked against its request (function, byte count, echoed address and
 * quantity) before its data is trusted, since a frame that parses may still belong to something else.
 */

export type FunctionCode = 1 | 2 | 3 | 4 | 5 | 6 | 15 | 16;

/** The parameters of one request. `value` is the coil state (5) or register value (6). */
export interface PduRequest {
  fc: FunctionCode;
  address: number;
  /** bits or registers read (1–4), values written (15, 16); 1 for 5 and 6 */
  quantity: number;
  value: number;
  values: readonly number[] | readonly boolean[] | undefined;
}

export const LIMITS: Readonly<Record<FunctionCode, number>> = { 1: 2000, 2: 2000, 3: 125, 4: 125, 5: 1, 6: 1, 15: 1968, 16: 123 };

/** A response PDU that does not fit its request. */
export class PduError extends Error {}

/** Why the request cannot be sent, or undefined when it can. */
export function checkRequest(r: PduRequest): string | undefined {
  if (!Number.isInteger(r.address) || r.address < 0 || r.address > 0xffff) return `address ${r.address} is not in 0..65535`;
  const max = LIMITS[r.fc];
  if (!Number.isInteger(r.quantity) || r.quantity < 1 || r.quantity > max) return `function ${r.fc} takes 1..${max} items, not ${r.quantity}`;
  if (r.address + r.quantity > 0x10000) return `items ${r.address}..${r.address + r.quantity - 1} run past address 65535`;
  if (r.fc === 6 && (!Number.isInteger(r.value) || r.value < 0 || r.value > 0xffff)) return `register value ${r.value} is not in 0..65535`;
  if (r.fc === 16) {
    for (const v of r.values as readonly number[]) {
      if (!Number.isInteger(v) || v < 0 || v > 0xffff) return `register value ${v} is not in 0..65535`;
    }
  }
  return undefined;
}

/** Length of the request PDU in bytes. */
export function requestBytes(r: PduRequest): number {
  if (r.fc === 15) return 6 + ((r.quantity + 7) >> 3);
  if (r.fc === 16) return 6 + 2 * r.quantity;
  return 5;
}

/** Encode the request PDU at `at` (the caller has checked it and reserved `requestBytes`). */
export function encodeRequest(buf: Buffer, at: number, r: PduRequest): void {
  buf[at] = r.fc;
  buf.writeUInt16BE(r.address, at + 1);
  switch (r.fc) {
    case 5:
      buf.writeUInt16BE(r.value ? 0xff00 : 0, at + 3);
      return;
    case 6:
      buf.writeUInt16BE(r.value, at + 3);
      return;
    case 15: {
      const bits = r.values as readonly boolean[];
      const bytes = (r.quantity + 7) >> 3;
      buf.writeUInt16BE(r.quantity, at + 3);
      buf[at + 5] = bytes;
      buf.fill(0, at + 6, at + 6 + bytes);
      for (let i = 0; i < r.quantity; i++) if (bits[i]) buf[at + 6 + (i >> 3)]! |= 1 << (i & 7);
      return;
    }
    case 16: {
      const words = r.values as readonly number[];
      buf.writeUInt16BE(r.quantity, at + 3);
      buf[at + 5] = 2 * r.quantity;
      for (let i = 0; i < r.quantity; i++) buf.writeUInt16BE(words[i]!, at + 6 + 2 * i);
      return;
    }
    default:
      buf.writeUInt16BE(r.quantity, at + 3);
  }
}

/**
 * The data of a normal (non-exception) response to `r` in `buf[start, end)`: booleans for 1/2,
 * words for 3/4, undefined for writes. Throws PduError when the PDU does not answer `r`.
 */
export function decodeResponse(r: PduRequest, buf: Buffer, start: number, end: number): boolean[] | number[] | undefined {
  const length = end - start;
  const fc = buf[start];
  if (fc !== r.fc) throw new PduError(`function ${fc} in the answer to function ${r.fc}`);
  switch (r.fc) {
    case 1:
    case 2: {
      const bytes = (r.quantity + 7) >> 3;
      expectByteCount(buf, start, length, bytes);
      const out = new Array<boolean>(r.quantity);
      for (let i = 0; i < r.quantity; i++) out[i] = (buf[start + 2 + (i >> 3)]! & (1 << (i & 7))) !== 0;
      return out;
    }
    case 3:
    case 4: {
      expectByteCount(buf, start, length, 2 * r.quantity);
      const out = new Array<number>(r.quantity);
      for (let i = 0; i < r.quantity; i++) out[i] = buf.readUInt16BE(start + 2 + 2 * i);
      return out;
    }
    default: {
      if (length !== 5) throw new PduError(`answer to function ${r.fc} has ${length} bytes, expected 5`);
      const address = buf.readUInt16BE(start + 1);
      const echo = buf.readUInt16BE(start + 3);
      const expected = r.fc === 5 ? (r.value ? 0xff00 : 0) : r.fc === 6 ? r.value : r.quantity;
      if (address !== r.address || echo !== expected) {
        throw new PduError(`answer to function ${r.fc} echoes ${address}/${echo}, expected ${r.address}/${expected}`);
      }
      return undefined;
    }
  }
}

function expectByteCount(buf: Buffer, start: number, length: number, bytes: number): void {
  if (length < 2 || buf[start + 1] !== bytes || length !== 2 + bytes) {
    throw new PduError(`answer has byte count ${length < 2 ? "none" : buf[start + 1]} and ${length} bytes, expected ${bytes} data bytes`);
  }
}
