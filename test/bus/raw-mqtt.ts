/**
 * A hand-rolled MQTT 3.1.1 codec for conformance tests: it sends exactly the bytes a rule is about
 * (things the mqtt package refuses to send, like an empty client id with clean session 0) and reads
 * raw packets back. Independent of the broker's own parser on purpose.
 */
import { connect, type Socket } from "node:net";

function str(s: string | Buffer): Buffer {
  const b = typeof s === "string" ? Buffer.from(s, "utf8") : s;
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

export function frame(first: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([first]), remainingLength(body.length), body]);
}

export interface ConnectFields {
  clientId: string;
  clean: boolean;
  keepalive?: number;
  protocolLevel?: number;
  username?: string;
  password?: string;
  will?: { topic: string; payload: string; qos?: number; retain?: boolean };
}

export function connectPacket(f: ConnectFields): Buffer {
  let flags = f.clean ? 0x02 : 0;
  if (f.will) flags |= 0x04 | ((f.will.qos ?? 0) << 3) | (f.will.retain ? 0x20 : 0);
  if (f.password !== undefined) flags |= 0x40;
  if (f.username !== undefined) flags |= 0x80;
  const ka = Buffer.alloc(2);
  ka.writeUInt16BE(f.keepalive ?? 0);
  const parts = [str("MQTT"), Buffer.from([f.protocolLevel ?? 4, flags]), ka];
  if (f.protocolLevel === 5) parts.push(Buffer.from([0])); // empty properties
  parts.push(str(f.clientId));
  if (f.will) {
    if (f.protocolLevel === 5) parts.push(Buffer.from([0]));
    parts.push(str(f.will.topic), str(f.will.payload));
  }
  if (f.username !== undefined) parts.push(str(f.username));
  if (f.password !== undefined) parts.push(str(f.password));
  return frame(0x10, Buffer.concat(parts));
}

export function subscribePacket(messageId: number, filters: Array<{ filter: string; qos: number }>): Buffer {
  const id = Buffer.alloc(2);
  id.writeUInt16BE(messageId);
  return frame(0x82, Buffer.concat([id, ...filters.map((f) => Buffer.concat([str(f.filter), Buffer.from([f.qos])]))]));
}

export function publishPacket(p: { topic: string; payload: Buffer | string; qos?: number; messageId?: number; dup?: boolean; retain?: boolean }): Buffer {
  const qos = p.qos ?? 0;
  const first = 0x30 | (p.dup ? 0x08 : 0) | (qos << 1) | (p.retain ? 1 : 0);
  const parts = [str(p.topic)];
  if (qos > 0) {
    const id = Buffer.alloc(2);
    id.writeUInt16BE(p.messageId ?? 1);
    parts.push(id);
  }
  parts.push(typeof p.payload === "string" ? Buffer.from(p.payload) : p.payload);
  return frame(first, Buffer.concat(parts));
}

export function pubrelPacket(messageId: number): Buffer {
  const id = Buffer.alloc(2);
  id.writeUInt16BE(messageId);
  return frame(0x62, id);
}

export const DISCONNECT = Buffer.from([0xe0, 0x00]);

export interface RawPacket {
  type: number;
  flags: number;
  body: Buffer;
}

/** A raw connection that collects incoming packets and knows when the broker closed it. */
export class RawClient {
  readonly socket: Socket;
  readonly closed: Promise<void>;
  #buf = Buffer.alloc(0);
  #packets: RawPacket[] = [];
  #waiters: Array<() => void> = [];
  #isClosed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        this.#isClosed = true;
        resolve();
        for (const w of this.#waiters.splice(0)) w();
      }),
    );
    socket.on("error", () => {});
    socket.on("data", (d: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      this.#drain();
    });
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, "127.0.0.1", () => {
        s.off("error", reject);
        resolve(new RawClient(s));
      });
      s.once("error", reject);
    });
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  send(b: Buffer): void {
    this.socket.write(b);
  }

  #drain(): void {
    for (;;) {
      if (this.#buf.length < 2) return;
      let len = 0;
      let mult = 1;
      let i = 1;
      for (;;) {
        if (i >= this.#buf.length) return;
        const b = this.#buf[i++] as number;
        len += (b & 0x7f) * mult;
        mult *= 128;
        if (!(b & 0x80)) break;
      }
      if (this.#buf.length < i + len) return;
      const first = this.#buf[0] as number;
      this.#packets.push({ type: first >> 4, flags: first & 0x0f, body: this.#buf.subarray(i, i + len) });
      this.#buf = this.#buf.subarray(i + len);
      for (const w of this.#waiters.splice(0)) w();
    }
  }

  /** The next packet of `type`, or undefined if the connection closes first. */
  async next(type: number): Promise<RawPacket | undefined> {
    for (;;) {
      const idx = this.#packets.findIndex((p) => p.type === type);
      if (idx >= 0) return this.#packets.splice(idx, 1)[0];
      if (this.#isClosed) return undefined;
      await new Promise<void>((r) => this.#waiters.push(r));
    }
  }

  /** CONNACK as {sessionPresent, returnCode}, or undefined if closed without one. */
  async connack(): Promise<{ sessionPresent: boolean; returnCode: number } | undefined> {
    const p = await this.next(2);
    if (!p) return undefined;
    return { sessionPresent: ((p.body[0] as number) & 1) === 1, returnCode: p.body[1] as number };
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export const PACKET = { CONNACK: 2, PUBLISH: 3, PUBACK: 4, PUBREC: 5, PUBREL: 6, PUBCOMP: 7, SUBACK: 9 } as const;
