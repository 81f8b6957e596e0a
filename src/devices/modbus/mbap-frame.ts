/**
 * MBAP framing of Modbus TCP (Modbus Messaging on TCP/IP, 3.1.3): a 7-byte header — transaction id,
 * protocol id (always 0), length (unit id + PDU bytes), unit id — in front of each PDU. The reader
 * cuts a TCP byte stream into frames with one reusable buffer: chunks holding whole frames are parsed
 * in place without copying; only a frame split across chunks is carried over.
 */

export const MBAP_HEADER_BYTES = 7;
/** Largest PDU (function code + data) a Modbus ADU may carry. */
export const MAX_PDU_BYTES = 253;
/** Largest value of the MBAP length field: unit id + PDU. */
const MAX_LENGTH_FIELD = MAX_PDU_BYTES + 1;

/** Write the 7-byte MBAP header for a PDU of `pduBytes` at `at`. */
export function writeMbapHeader(buf: Buffer, at: number, transactionId: number, unitId: number, pduBytes: number): void {
  buf.writeUInt16BE(transactionId & 0xffff, at);
  buf.writeUInt16BE(0, at + 2);
  buf.writeUInt16BE(pduBytes + 1, at + 4);
  buf[at + 6] = unitId;
}

/**
 * Called for each complete frame; the PDU is `buf[pduStart, pduEnd)`, valid only during the call.
 * Return false to stop reading (the caller is tearing the connection down).
 */
export type FrameHandler = (transactionId: number, unitId: number, buf: Buffer, pduStart: number, pduEnd: number) => boolean;

export class MbapReader {
  #buf: Buffer;
  #len = 0;

  constructor(initialBytes = 512) {
    this.#buf = Buffer.allocUnsafeSlow(initialBytes);
  }

  /** Bytes of an incomplete frame waiting for the rest. */
  get buffered(): number {
    return this.#len;
  }

  /** Forget any partial frame (a new connection starts a new stream). */
  reset(): void {
    this.#len = 0;
  }

  /**
   * Feed one chunk of the stream. Returns undefined when all is well, or why the stream cannot be MBAP
   * (the caller must drop the connection: nothing after a broken header can be trusted).
   */
  feed(chunk: Buffer, onFrame: FrameHandler): string | undefined {
    let src = chunk;
    let end = chunk.length;
    if (this.#len > 0) {
      this.#reserve(this.#len + chunk.length);
      chunk.copy(this.#buf, this.#len);
      this.#len += chunk.length;
      src = this.#buf;
      end = this.#len;
    }
    let at = 0;
    while (end - at >= 6) {
      const protocolId = src.readUInt16BE(at + 2);
      const length = src.readUInt16BE(at + 4);
      if (protocolId !== 0) {
        this.#len = 0;
        return `protocol id ${protocolId} in an MBAP header (expected 0)`;
      }
      if (length < 2 || length > MAX_LENGTH_FIELD) {
        this.#len = 0;
        return `MBAP length ${length} out of range 2..${MAX_LENGTH_FIELD}`;
      }
      if (end - at < 6 + length) break;
      const frameStart = at;
      at += 6 + length;
      if (!onFrame(src.readUInt16BE(frameStart), src[frameStart + 6]!, src, frameStart + 7, at)) {
        this.#len = 0;
        return undefined;
      }
    }
    const rest = end - at;
    if (rest === 0) this.#len = 0;
    else if (src === this.#buf) {
      if (at > 0) this.#buf.copyWithin(0, at, end);
      this.#len = rest;
    } else {
      this.#reserve(rest);
      chunk.copy(this.#buf, 0, at, end);
      this.#len = rest;
    }
    return undefined;
  }

  #reserve(bytes: number): void {
    if (bytes <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < bytes) size *= 2;
    const next = Buffer.allocUnsafeSlow(size);
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }
}
