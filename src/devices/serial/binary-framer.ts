/**
 * Binary frames from a byte stream: `sync… header… length payload checksum`. Hunts for the sync
 * bytes, reads the payload length at `lengthOffset` (1 byte, or 2 big-endian), waits for the whole
 * frame and checks its checksum, computed over the bytes after the sync up to the end of the
 * payload (CRC-16 low byte first). A frame with an impossible length or a bad checksum is counted
 * and skipped by one byte only, so the hunt resumes inside it: noise and cut frames cost only
 * themselves. Pure, no I/O.
 */
import { checksumLength, checksumMatches, type FrameChecksum } from "./checksums.js";

export interface BinaryFramerOptions {
  sync: readonly number[];
  lengthOffset: number;
  lengthBytes: 1 | 2;
  checksum: FrameChecksum;
  /** longest payload accepted (default 256): bounds how long a corrupt length field can stall */
  maxPayload?: number;
}

export const DEFAULT_MAX_PAYLOAD = 256;

export class BinaryFramer {
  readonly #sync: Buffer;
  readonly #lengthOffset: number;
  readonly #lengthBytes: 1 | 2;
  readonly #checksum: FrameChecksum;
  readonly #checkLen: number;
  readonly #maxPayload: number;
  readonly #header: number;
  #buf = Buffer.alloc(0);
  /** frames decoded */
  frames = 0;
  /** frames with an impossible length, or cut short (the next frame's sync inside them) */
  badLength = 0;
  /** frames whose checksum did not match */
  badChecksum = 0;
  /** bytes skipped while hunting for a sync */
  skippedBytes = 0;

  constructor(o: BinaryFramerOptions) {
    this.#sync = Buffer.from(o.sync);
    this.#lengthOffset = o.lengthOffset;
    this.#lengthBytes = o.lengthBytes;
    this.#checksum = o.checksum;
    this.#checkLen = checksumLength(o.checksum);
    this.#maxPayload = o.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    if (o.lengthOffset < this.#sync.length) throw new RangeError("the length field must come after the sync bytes");
    this.#header = o.lengthOffset + o.lengthBytes;
  }

  /** Feed bytes; returns the payloads of the frames they complete (copies). */
  push(chunk: Uint8Array): Buffer[] {
    const buf = this.#buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#buf, chunk]);
    const out: Buffer[] = [];
    const sync = this.#sync;
    let i = 0;
    while (buf.length - i >= sync.length) {
      const at = buf.indexOf(sync, i);
      if (at < 0) {
        // keep a tail that may be the start of a sync
        const keep = sync.length - 1;
        this.skippedBytes += buf.length - keep - i;
        i = buf.length - keep;
        break;
      }
      this.skippedBytes += at - i;
      i = at;
      if (buf.length - i < this.#header) break;
      const len = this.#lengthBytes === 1 ? buf[i + this.#lengthOffset]! : buf.readUInt16BE(i + this.#lengthOffset);
      if (len > this.#maxPayload) {
        this.badLength++;
        i++;
        continue;
      }
      const end = i + this.#header + len;
      if (buf.length < end + this.#checkLen) break;
      if (!checksumMatches(this.#checksum, buf, i + sync.length, end, end)) {
        // a sync inside the span means this frame was cut short and the next one ran into it
        const next = buf.indexOf(sync, i + 1);
        if (next >= 0 && next < end) this.badLength++;
        else this.badChecksum++;
        i++;
        continue;
      }
      out.push(Buffer.from(buf.subarray(i + this.#header, end)));
      this.frames++;
      i = end + this.#checkLen;
    }
    this.#buf = Buffer.from(buf.subarray(i));
    return out;
  }

  /** Forget a partial frame (the port was closed). */
  reset(): void {
    this.#buf = Buffer.alloc(0);
  }
}
