/**
 * Request framing for a Modbus RTU slave without relying on 3.5-character silences (a pty has no
 * baud timing and a USB adapter batches bytes): the length of a request follows from its function
 * code (and byte count), and the CRC confirms it. When the CRC fails the parser drops one byte and
 * looks again (resynchronisation), as a real slave does after noise. Function codes of unknown
 * length are found by searching for a valid CRC. `flush()` is the recovery a server calls when the
 * line has been idle with bytes left over that never became a frame.
 */
import { hasValidCrc } from "./crc16.js";

/** Largest RTU ADU: address + 253-byte PDU + CRC. */
export const MAX_RTU_FRAME = 256;
const MIN_RTU_FRAME = 4;
const MAX_UNIT_ID = 247;

/**
 * Length of the request frame starting at `buf[0]` (address, function code, data, CRC), "more" when
 * more bytes are needed to know it, "unknown" for a function code whose length is not fixed here.
 */
export function requestFrameLength(buf: Uint8Array): number | "more" | "unknown" {
  if (buf.length < 2) return "more";
  const fc = buf[1] as number;
  const byteCountAt = (index: number, overhead: number): number | "more" =>
    buf.length > index ? overhead + (buf[index] as number) : "more";
  switch (fc) {
    case 0x01:
    case 0x02:
    case 0x03:
    case 0x04:
    case 0x05:
    case 0x06:
    case 0x08: // diagnostics: sub-function + one data word
      return 8;
    case 0x07: // read exception status
    case 0x0b: // get comm event counter
    case 0x0c: // get comm event log
    case 0x11: // report server id
      return 4;
    case 0x0f:
    case 0x10:
      return byteCountAt(6, 9);
    case 0x14: // read file record
    case 0x15: // write file record
      return byteCountAt(2, 5);
    case 0x16: // mask write register
      return 10;
    case 0x17: // read/write multiple registers
      return byteCountAt(10, 13);
    case 0x18: // read FIFO queue
      return 6;
    case 0x2b: // encapsulated interface (read device identification)
      return 7;
    default:
      return "unknown";
  }
}

export class RtuRequestParser {
  #buffer: Buffer = Buffer.alloc(0);
  #resyncing = false;
  #badFrames = 0;

  /** Frames discarded (bad CRC, noise); one per loss of sync, not per byte. */
  get badFrames(): number {
    return this.#badFrames;
  }

  /** Bytes waiting to become a frame. */
  get pending(): number {
    return this.#buffer.length;
  }

  /** Add received bytes; returns the complete frames (with valid CRC) found. */
  push(chunk: Uint8Array): Buffer[] {
    this.#buffer = this.#buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#buffer, chunk]);
    return this.#parse();
  }

  /** The line went idle: whatever cannot complete is noise. Drop it byte by byte, keeping frames. */
  flush(): Buffer[] {
    const frames: Buffer[] = [];
    while (this.#buffer.length > 0) {
      this.#dropByte();
      frames.push(...this.#parse());
    }
    this.#resyncing = false;
    return frames;
  }

  #parse(): Buffer[] {
    const frames: Buffer[] = [];
    while (this.#buffer.length >= MIN_RTU_FRAME) {
      if ((this.#buffer[0] as number) > MAX_UNIT_ID) {
        this.#dropByte(); // not a valid address: cannot start a frame
        continue;
      }
      const length = requestFrameLength(this.#buffer);
      if (length === "more") break;
      if (length === "unknown") {
        const found = this.#searchCrc();
        if (found > 0) {
          frames.push(this.#take(found));
          continue;
        }
        // Hunting for sync after an error, an unknown code is far likelier noise than a frame.
        if (this.#resyncing || this.#buffer.length >= MAX_RTU_FRAME) {
          this.#dropByte();
          continue;
        }
        break;
      }
      if (length > MAX_RTU_FRAME) {
        this.#dropByte();
        continue;
      }
      if (this.#buffer.length < length) break;
      if (hasValidCrc(this.#buffer.subarray(0, length))) frames.push(this.#take(length));
      else this.#dropByte();
    }
    return frames;
  }

  #searchCrc(): number {
    const max = Math.min(this.#buffer.length, MAX_RTU_FRAME);
    for (let n = MIN_RTU_FRAME; n <= max; n++) if (hasValidCrc(this.#buffer.subarray(0, n))) return n;
    return 0;
  }

  #take(length: number): Buffer {
    const frame = Buffer.from(this.#buffer.subarray(0, length));
    this.#buffer = this.#buffer.subarray(length);
    this.#resyncing = false;
    return frame;
  }

  #dropByte(): void {
    if (!this.#resyncing) this.#badFrames++;
    this.#resyncing = true;
    this.#buffer = this.#buffer.subarray(1);
  }
}
