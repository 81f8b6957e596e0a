/**
 * The Modbus TCP client against the simulator's TCP server, directly or through a relay that
 * reshapes the answers (split into single bytes, grouped, reversed, rewritten).
 */
import net from "node:net";
import { describe, expect, it } from "vitest";
import { LosError } from "../../src/core/errors.js";
import { ModbusTcpClient } from "../../src/devices/modbus/tcp-client.js";
import { cutFrames } from "./modbus-relay.js";
import { client, onCleanup, sim, viaRelay } from "./modbus-client-harness.js";


/** The coded error a promise rejected with. */
async function codeOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof LosError)) throw new Error(`expected a LosError, got ${String(err)}`);
  return err.code;
}

describe("modbus TCP client: requests", () => {
  it("reads and writes with function codes 1, 2, 3, 4, 5, 6, 15 and 16", async () => {
    const s = await sim();
    const b = s.bank(1);
    b.setBits("coil", 3, [true, false, true, true, false, false, false, false, true]);
    b.setBits("discrete", 0, [false, true]);
    b.setWords("holding", 10, [100, 101]);
    b.setWords("input", 0, [7, 65535]);
    const { c } = await client(s.port);
    expect(await c.readBits(1, 1, 3, 9)).toEqual([true, false, true, true, false, false, false, false, true]);
    expect(await c.readBits(1, 2, 0, 2)).toEqual([false, true]);
    expect(await c.readRegisters(1, 3, 10, 2)).toEqual([100, 101]);
    expect(await c.readRegisters(1, 4, 0, 2)).toEqual([7, 65535]);
    await c.writeCoil(1, 20, true);
    await c.writeRegister(1, 30, 0xbeef);
    await c.writeCoils(1, 40, [true, true, false, true, false, false, false, false, true, true]);
    await c.writeRegisters(1, 50, [1, 2, 3]);
    expect(b.getBit("coil", 20)).toBe(true);
    expect(b.getWord("holding", 30)).toBe(0xbeef);
    expect([40, 41, 42, 43, 44, 48, 49].map((a) => b.getBit("coil", a))).toEqual([true, true, false, true, false, true, true]);
    expect(b.getWords("holding", 50, 3)).toEqual([1, 2, 3]);
    expect(c.stats()).toMatchObject({ requests: 8, inFlight: 0, waiting: 0 });
  });

  it("an exception answer is LOS_E_DEVICE_EXCEPTION with its name; the connection stays up", async () => {
    const s = await sim();
    const { c, lost } = await client(s.port);
    s.faults.set({ mode: "exception", exceptionCode: 2, count: 1 });
    const err = await c.readRegisters(1, 3, 0, 4).catch((e: unknown) => e as LosError);
    expect(err).toBeInstanceOf(LosError);
    expect((err as LosError).details).toMatchObject({ exceptionCode: 2, exceptionName: "ILLEGAL_DATA_ADDRESS", unitId: 1, fc: 3 });
    // unit 9 is not served: the simulator answers as a gateway would (exception 11)
    const gw = await c.readRegisters(9, 3, 0, 1).catch((e: unknown) => e as LosError);
    expect((gw as LosError).details).toMatchObject({ exceptionCode: 11, exceptionName: "GATEWAY_TARGET_FAILED_TO_RESPOND" });
    expect(await c.readRegisters(1, 3, 0, 1)).toEqual([0]);
    expect(c.isOpen).toBe(true);
    expect(lost).toEqual([]);
  });

  it("refuses malformed requests without touching the wire", async () => {
    const s = await sim();
    const { c } = await client(s.port);
    expect(await codeOf(c.readRegisters(1, 3, 0, 126))).toBe("LOS_E_REQUEST_INVALID");
    expect(await codeOf(c.readBits(1, 1, 65535, 2))).toBe("LOS_E_REQUEST_INVALID");
    expect(await codeOf(c.writeRegister(1, 0, 70000))).toBe("LOS_E_REQUEST_INVALID");
    expect(await codeOf(c.writeRegisters(1, 0, [1, -1]))).toBe("LOS_E_REQUEST_INVALID");
    expect(await codeOf(c.readRegisters(256, 3, 0, 1))).toBe("LOS_E_REQUEST_INVALID");
    expect(s.server.stats.requests).toBe(0);
    expect(c.stats().requests).toBe(0);
  });

  it("a refused connect is LOS_E_DEVICE_DISCONNECTED", async () => {
    const s = await sim();
    const port = s.port;
    await s.close();
    await expect(ModbusTcpClient.connect({ host: "127.0.0.1", port })).rejects.toSatisfy(
      (e: unknown) => e instanceof LosError && e.code === "LOS_E_DEVICE_DISCONNECTED",
    );
  });
});

describe("modbus TCP client: framing and matching", () => {
  it("answers cut into single bytes across TCP chunks are put back together", async () => {
    const s = await sim();
    s.bank(1).setWords("holding", 0, [11, 22, 33]);
    const { c, relay } = await viaRelay(s, { bytewise: true });
    // count the chunks the client's socket receives
    let chunks = 0;
    type EmitFn = (this: net.Socket, ev: string | symbol, ...a: unknown[]) => boolean;
    const real = net.Socket.prototype.emit as EmitFn;
    net.Socket.prototype.emit = function (this: net.Socket, ev: string | symbol, ...a: unknown[]) {
      if (ev === "data" && this.remotePort === relay.port) chunks++;
      return real.call(this, ev, ...a);
    };
    onCleanup(async () => {
      net.Socket.prototype.emit = real;
    });
    for (let i = 0; i < 3; i++) expect(await c.readRegisters(1, 3, 0, 3)).toEqual([11, 22, 33]);
    expect(chunks).toBeGreaterThan(3); // at least one answer came in pieces
    expect(c.stats().buffered).toBe(0);
  });

  it("several answers in one chunk, in reverse order, each reach their own request", async () => {
    const s = await sim();
    for (let u = 1; u <= 2; u++) s.bank(u).setWords("holding", 0, [u * 10, u * 10 + 1, u * 10 + 2, u * 10 + 3]);
    const { c, relay } = await viaRelay(s, { group: 4, reverse: true }, { maxInFlight: 4 });
    for (let cycle = 0; cycle < 5; cycle++) {
      const got = await Promise.all([c.readRegisters(1, 3, 0, 1), c.readRegisters(2, 3, 1, 1), c.readRegisters(1, 3, 2, 2), c.readRegisters(2, 3, 0, 4)]);
      expect(got).toEqual([[10], [21], [12, 13], [20, 21, 22, 23]]);
    }
    expect(relay.maxOutstanding).toBe(4);
    expect(c.stats()).toMatchObject({ requests: 20, writes: 5, late: 0 });
  });

  it("transaction ids wrap from 65535 to 0", async () => {
    const s = await sim();
    s.bank(1).setWord("holding", 0, 5);
    const { c, relay } = await viaRelay(s, {}, { firstTransactionId: 65534 });
    for (let i = 0; i < 4; i++) expect(await c.readRegisters(1, 3, 0, 1)).toEqual([5]);
    expect(relay.requestIds).toEqual([65534, 65535, 0, 1]);
  });

  it("keeps at most maxInFlight requests on the wire; the rest leave as answers come back", async () => {
    const s = await sim();
    s.bank(1).setWords("input", 0, [0, 1, 2, 3, 4, 5, 6]);
    const { c, relay } = await viaRelay(s, {}, { maxInFlight: 2 });
    const got = await Promise.all([0, 1, 2, 3, 4, 5, 6].map((a) => c.readRegisters(1, 4, a, 1)));
    expect(got).toEqual([[0], [1], [2], [3], [4], [5], [6]]);
    expect(relay.maxOutstanding).toBe(2);
    expect(relay.requestIds).toHaveLength(7);
  });

  it("all requests issued in one turn leave in one socket write", async () => {
    const s = await sim();
    const { c, relay } = await viaRelay(s, {}, { maxInFlight: 8 });
    type WriteFn = (this: net.Socket, ...a: unknown[]) => unknown;
    const proto = net.Socket.prototype as unknown as { _write: WriteFn; _writev: WriteFn };
    const original = { _write: proto._write, _writev: proto._writev };
    let writes = 0;
    for (const name of ["_write", "_writev"] as const) {
      const realFn = original[name];
      proto[name] = function (this: net.Socket, ...a: unknown[]) {
        if (this.remotePort === relay.port) writes++;
        return realFn.apply(this, a);
      };
    }
    onCleanup(async () => {
      Object.assign(proto, original);
    });
    for (let turn = 0; turn < 3; turn++) {
      await Promise.all([c.readRegisters(1, 3, 0, 2), c.readBits(1, 1, 0, 8), c.writeRegister(1, 9, turn), c.readRegisters(2, 4, 0, 1), c.writeCoil(2, 1, true)]);
    }
    expect(writes).toBe(3);
    expect(c.stats().writes).toBe(3);
    expect(relay.requestChunks).toHaveLength(3);
    for (const chunk of relay.requestChunks) expect(cutFrames(chunk).frames.map((f) => f[7])).toEqual([3, 1, 6, 4, 5]);
  });
});
