/**
 * A stream guard in front of aedes: it follows MQTT framing (fixed header + remaining length) as
 * bytes arrive and stops a connection whose PUBLISH payload is larger than the limit as soon as the
 * topic length is known, before the payload is buffered. aedes 1.2.0 and mqtt-packet 9 have no
 * maximum packet size for MQTT 3.1.1, so without this a client could make the parser buffer up to
 * the protocol's 256 MiB per packet. The guard only counts bytes; it never copies them.
 */
import { Duplex } from "node:stream";

export interface FrameLimits {
  maxPayloadBytes: number;
  /** cap on the remaining length of any non-PUBLISH packet (CONNECT with a will, SUBSCRIBE…) */
  maxControlPacketBytes: number;
}

export type FrameViolation =
  | { kind: "payload"; packetType: number; payloadBytes: number }
  | { kind: "packet"; packetType: number; remainingLength: number }
  | { kind: "malformed"; reason: string };

const PUBLISH = 3;

/** Incremental MQTT frame scanner. `feed` returns the offset of the offending packet on violation. */
export class FrameScanner {
  #limits: FrameLimits;
  #state: "header" | "length" | "topic" | "skip" = "header";
  #type = 0;
  #qos = 0;
  #remaining = 0;
  #mult = 1;
  #lenBytes = 0;
  #topicBytes: number[] = [];
  #skip = 0;

  constructor(limits: FrameLimits) {
    this.#limits = limits;
  }

  /** Scan a chunk; on violation returns it with `at`, the offset in this chunk where the bad packet began (0 if earlier). */
  feed(chunk: Buffer): (FrameViolation & { at: number }) | undefined {
    let start = 0;
    let i = 0;
    while (i < chunk.length) {
      switch (this.#state) {
        case "header": {
          const b = chunk[i++] as number;
          start = i - 1;
          this.#type = b >> 4;
          this.#qos = (b >> 1) & 3;
          this.#remaining = 0;
          this.#mult = 1;
          this.#lenBytes = 0;
          this.#state = "length";
          break;
        }
        case "length": {
          const b = chunk[i++] as number;
          this.#remaining += (b & 0x7f) * this.#mult;
          this.#mult *= 128;
          this.#lenBytes++;
          if (b & 0x80) {
            if (this.#lenBytes >= 4) return { kind: "malformed", reason: "remaining length longer than 4 bytes", at: start };
            break;
          }
          const v = this.#afterLength();
          if (v) return { ...v, at: start };
          break;
        }
        case "topic": {
          this.#topicBytes.push(chunk[i++] as number);
          this.#remaining--;
          if (this.#topicBytes.length === 2) {
            const topicLen = ((this.#topicBytes[0] as number) << 8) | (this.#topicBytes[1] as number);
            this.#topicBytes = [];
            const payloadBytes = this.#remaining - topicLen - (this.#qos > 0 ? 2 : 0);
            if (payloadBytes > this.#limits.maxPayloadBytes) {
              return { kind: "payload", packetType: PUBLISH, payloadBytes, at: start };
            }
            this.#skip = this.#remaining;
            this.#state = this.#skip > 0 ? "skip" : "header";
          }
          break;
        }
        case "skip": {
          const n = Math.min(this.#skip, chunk.length - i);
          i += n;
          this.#skip -= n;
          if (this.#skip === 0) this.#state = "header";
          break;
        }
      }
    }
    return undefined;
  }

  #afterLength(): FrameViolation | undefined {
    if (this.#type === PUBLISH && this.#remaining >= 2) {
      this.#state = "topic";
      return undefined;
    }
    if (this.#type !== PUBLISH && this.#remaining > this.#limits.maxControlPacketBytes) {
      return { kind: "packet", packetType: this.#type, remainingLength: this.#remaining };
    }
    this.#skip = this.#remaining;
    this.#state = this.#skip > 0 ? "skip" : "header";
    return undefined;
  }
}

/**
 * A Duplex that aedes reads from and writes to; reads come from `inner` through the scanner, writes
 * go straight to `inner`. On a violation the bytes of earlier complete packets are passed on, the
 * rest is dropped, `onViolation` is called and both streams are destroyed.
 */
export class GuardedStream extends Duplex {
  #inner: Duplex;
  #scanner: FrameScanner;
  #onViolation: (v: FrameViolation) => void;
  #stopped = false;
  #corked = false;

  constructor(inner: Duplex, limits: FrameLimits, onViolation: (v: FrameViolation) => void) {
    super({ allowHalfOpen: false });
    this.#inner = inner;
    this.#scanner = new FrameScanner(limits);
    this.#onViolation = onViolation;
    inner.on("data", (chunk: Buffer) => this.#onData(chunk));
    inner.on("end", () => this.push(null));
    inner.on("error", (err) => this.destroy(err));
    inner.on("close", () => this.destroy());
    inner.pause();
  }

  #onData(chunk: Buffer): void {
    if (this.#stopped) return;
    const v = this.#scanner.feed(chunk);
    if (v) {
      this.#stopped = true;
      if (v.at > 0) this.push(chunk.subarray(0, v.at));
      const { at: _at, ...violation } = v;
      this.#onViolation(violation);
      this.destroy();
      return;
    }
    if (!this.push(chunk)) this.#inner.pause();
  }

  override _read(): void {
    this.#inner.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#corkUntilNextTurn();
    if (this.#inner.write(chunk)) cb();
    else this.#inner.once("drain", () => cb());
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    this.#corkUntilNextTurn();
    let ok = true;
    for (const c of chunks) ok = this.#inner.write(c.chunk);
    if (ok) cb();
    else this.#inner.once("drain", () => cb());
  }

  /**
   * aedes writes each QoS 0 delivery from its own setImmediate, so a subscriber of many topics got
   * one socket write (a syscall) per message. Holding the socket corked until the next turn of the
   * event loop sends everything written in this turn's immediates in one writev.
   */
  #corkUntilNextTurn(): void {
    if (this.#corked) return;
    this.#corked = true;
    this.#inner.cork();
    setImmediate(this.#uncork);
  }

  #uncork = (): void => {
    if (!this.#corked) return;
    this.#corked = false;
    this.#inner.uncork();
  };

  override _final(cb: (err?: Error | null) => void): void {
    this.#uncork();
    this.#inner.end(cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#stopped = true;
    this.#uncork(); // a refusal (CONNACK, then destroy) must still reach the client
    if (!this.#inner.destroyed) this.#inner.destroy();
    cb(err);
  }
}
