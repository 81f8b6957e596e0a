import { Duplex } from "node:stream";
import { describe, expect, it } from "vitest";
import { GuardedStream } from "../../src/bus/frame-guard.js";

/** A socket stand-in that records how its writes arrive: one entry per _write/_writev call. */
class RecordingSocket extends Duplex {
  calls: Buffer[][] = [];
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.calls.push([chunk]);
    cb();
  }
  override _writev(chunks: { chunk: Buffer }[], cb: () => void): void {
    this.calls.push(chunks.map((c) => c.chunk));
    cb();
  }
}

const limits = { maxPayloadBytes: 1024, maxControlPacketBytes: 1024 };
const nextTurn = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

describe("GuardedStream writes", () => {
  it("sends what was written during one event-loop turn in one writev, in order", async () => {
    const socket = new RecordingSocket();
    const guard = new GuardedStream(socket, limits, () => {});
    // like aedes: each delivery from its own setImmediate, all queued in the same turn
    for (let i = 0; i < 5; i++) setImmediate(() => guard.write(Buffer.from([i])));
    await nextTurn();
    expect(socket.calls.length).toBe(1);
    expect(Buffer.concat(socket.calls[0]!)).toEqual(Buffer.from([0, 1, 2, 3, 4]));
    guard.write(Buffer.from([5]));
    await nextTurn();
    expect(socket.calls.map((c) => Buffer.concat(c)[0])).toEqual([0, 5]);
  });

  it("a write followed by destroy still reaches the socket (a refusal's CONNACK)", () => {
    const socket = new RecordingSocket();
    const guard = new GuardedStream(socket, limits, () => {});
    guard.write(Buffer.from([0x20, 2, 0, 5]));
    guard.destroy();
    expect(Buffer.concat(socket.calls.flat())).toEqual(Buffer.from([0x20, 2, 0, 5]));
  });
});
