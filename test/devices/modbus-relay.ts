/**
 * A byte relay on loopback between a Modbus TCP client and the simulator, to see what crosses the
 * wire and to reshape the simulator's answers: grouped into one write, reversed, cut into single
 * bytes, or rewritten. Requests pass through unchanged.
 */
import net from "node:net";

export interface RelayOptions {
  /** hold answers until this many whole frames are there, then send them in one write (default 1) */
  group?: number;
  /** send a group in reverse order */
  reverse?: boolean;
  /** send each answer byte in a write of its own, one event-loop turn apart */
  bytewise?: boolean;
  /** change an answer frame before it goes on */
  rewrite?: (frame: Buffer) => Buffer;
}

export interface Relay {
  port: number;
  /** what the client wrote, one entry per chunk the relay read */
  requestChunks: Buffer[];
  /** transaction ids of the requests, in arrival order */
  requestIds: number[];
  /** most requests seen on the wire without their answer yet */
  maxOutstanding: number;
  close(): Promise<void>;
}

/** Cut whole MBAP frames off the front of `buf`; returns them and what is left. */
export function cutFrames(buf: Buffer): { frames: Buffer[]; rest: Buffer } {
  const frames: Buffer[] = [];
  let at = 0;
  while (at + 6 <= buf.length && at + 6 + buf.readUInt16BE(at + 4) <= buf.length) {
    const end = at + 6 + buf.readUInt16BE(at + 4);
    frames.push(Buffer.from(buf.subarray(at, end)));
    at = end;
  }
  return { frames, rest: buf.subarray(at) };
}

export async function startRelay(target: number, o: RelayOptions = {}): Promise<Relay> {
  const sockets = new Set<net.Socket>();
  let outstanding = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(target, "127.0.0.1");
    sockets.add(client).add(upstream);
    client.setNoDelay(true);
    let requests: Buffer = Buffer.alloc(0);
    client.on("data", (chunk: Buffer) => {
      relay.requestChunks.push(Buffer.from(chunk));
      const cut = cutFrames(Buffer.concat([requests, chunk]));
      requests = Buffer.from(cut.rest);
      for (const f of cut.frames) relay.requestIds.push(f.readUInt16BE(0));
      outstanding += cut.frames.length;
      relay.maxOutstanding = Math.max(relay.maxOutstanding, outstanding);
      upstream.write(chunk);
    });
    let answers: Buffer = Buffer.alloc(0);
    let held: Buffer[] = [];
    upstream.on("data", (chunk: Buffer) => {
      const cut = cutFrames(Buffer.concat([answers, chunk]));
      answers = Buffer.from(cut.rest);
      held.push(...cut.frames);
      if (held.length < (o.group ?? 1)) return;
      const group = o.reverse ? held.reverse() : held;
      held = [];
      outstanding -= group.length;
      const out = Buffer.concat(group.map((f) => (o.rewrite ? o.rewrite(f) : f)));
      if (!o.bytewise) {
        client.write(out);
        return;
      }
      let i = 0;
      const next = (): void => {
        if (i >= out.length || client.destroyed) return;
        client.write(out.subarray(i, ++i));
        setImmediate(next);
      };
      next();
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const relay: Relay = {
    port: (server.address() as net.AddressInfo).port,
    requestChunks: [],
    requestIds: [],
    maxOutstanding: 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return relay;
}
