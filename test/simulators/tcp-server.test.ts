import net from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type ModbusRTU from "modbus-serial";
import { ManualClock } from "../../src/core/clock.js";
import { FaultInjector } from "../../simulators/modbus/faults.js";
import { RegisterBank } from "../../simulators/modbus/register-bank.js";
import { ModbusTcpServer } from "../../simulators/modbus/tcp-server.js";
import { closeClient, rejection, tcpClient, track, waitFor } from "./helpers.js";

/** Send one raw MBAP request and collect the reply bytes (or the socket closing). */
function rawRequest(port: number, adu: Buffer, expectBytes: number): Promise<Buffer | "closed"> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let got = Buffer.alloc(0);
    socket.on("connect", () => socket.write(adu));
    socket.on("data", (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= expectBytes) {
        socket.destroy();
        resolve(got);
      }
    });
    socket.on("close", () => resolve(got.length > 0 ? got : "closed"));
    socket.on("error", reject);
  });
}

function mbap(tid: number, unit: number, pdu: number[]): Buffer {
  const b = Buffer.alloc(7 + pdu.length);
  b.writeUInt16BE(tid, 0);
  b.writeUInt16BE(pdu.length + 1, 4);
  b[6] = unit;
  Buffer.from(pdu).copy(b, 7);
  return b;
}

describe("ModbusTcpServer with a modbus-serial client", () => {
  let server: ModbusTcpServer;
  let faults: FaultInjector;
  let clock: ManualClock;
  let banks: Map<number, RegisterBank>;
  const clients: ModbusRTU[] = [];

  beforeEach(async () => {
    clock = new ManualClock();
    faults = new FaultInjector();
    const one = new RegisterBank({ ranges: { holding: [{ start: 0, count: 100 }] } });
    one.setWords("holding", 0, [11, 12, 13]);
    one.setWords("input", 0, [0x1234, 0xfffe]);
    one.setBits("coil", 0, [true, false, true]);
    one.setBits("discrete", 0, [false, true]);
    const two = new RegisterBank();
    two.setWords("holding", 0, [21, 22]);
    banks = new Map([
      [1, one],
      [2, two],
    ]);
    server = await ModbusTcpServer.start({ banks, faults, clock });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map(closeClient));
    await server.close();
  });

  const connect = async (unitId = 1, timeoutMs = 2000) => {
    const c = await tcpClient(server.port, unitId, timeoutMs);
    clients.push(c);
    return c;
  };

  it("binds 127.0.0.1 on an OS-chosen port", () => {
    expect(server.host).toBe("127.0.0.1");
    expect(server.port).toBeGreaterThan(0);
  });

  it("serves function codes 1, 2, 3, 4, 5, 6, 15 and 16", async () => {
    const c = await connect();
    expect((await c.readCoils(0, 3)).data.slice(0, 3)).toEqual([true, false, true]);
    expect((await c.readDiscreteInputs(0, 2)).data.slice(0, 2)).toEqual([false, true]);
    expect((await c.readHoldingRegisters(0, 3)).data).toEqual([11, 12, 13]);
    expect((await c.readInputRegisters(0, 2)).data).toEqual([0x1234, 0xfffe]);
    await c.writeCoil(1, true);
    expect(banks.get(1)?.getBit("coil", 1)).toBe(true);
    await c.writeRegister(5, 555);
    expect(banks.get(1)?.getWord("holding", 5)).toBe(555);
    await c.writeCoils(10, [true, true, false, true]);
    expect(banks.get(1)?.getBits("coil", 10, 4)).toEqual([true, true, false, true]);
    await c.writeRegisters(20, [1, 2, 3]);
    expect((await c.readHoldingRegisters(20, 3)).data).toEqual([1, 2, 3]);
  });

  it("answers exceptions 01, 02 and 03 that the client sees as modbusCode", async () => {
    const c = await connect();
    expect((await rejection(c.maskWriteRegister(0, 0xff, 0))).modbusCode).toBe(1);
    expect((await rejection(c.readHoldingRegisters(99, 2))).modbusCode).toBe(2);
    expect((await rejection(c.readInputRegisters(0, 126))).modbusCode).toBe(3);
    expect((await rejection(c.readCoils(0, 2001))).modbusCode).toBe(3);
  });

  it("routes by unit id and answers 0x0B for a unit it does not serve", async () => {
    const c = await connect(2);
    expect((await c.readHoldingRegisters(0, 2)).data).toEqual([21, 22]);
    c.setID(1);
    expect((await c.readHoldingRegisters(0, 2)).data).toEqual([11, 12]);
    c.setID(9);
    expect((await rejection(c.readHoldingRegisters(0, 1))).modbusCode).toBe(0x0b);
  });

  it("serves several connections and echoes transaction ids of pipelined requests", async () => {
    const [a, b] = [await connect(1), await connect(2)];
    const [ra, rb] = await Promise.all([a.readHoldingRegisters(0, 1), b.readHoldingRegisters(0, 1)]);
    expect([ra.data, rb.data]).toEqual([[11], [21]]);
    expect(server.connections).toBe(2);
    const both = Buffer.concat([mbap(0x0102, 1, [3, 0, 0, 0, 1]), mbap(0x0304, 2, [3, 0, 1, 0, 1])]);
    const reply = await rawRequest(server.port, both, 22);
    expect(reply).not.toBe("closed");
    expect((reply as Buffer).toString("hex")).toBe("0102000000050103020" + "00b" + "0304000000050203020016");
  });

  it("closes a connection whose MBAP header is broken", async () => {
    const bad = mbap(1, 1, [3, 0, 0, 0, 1]);
    bad.writeUInt16BE(7, 2); // protocol id must be 0
    expect(await rawRequest(server.port, bad, 1)).toBe("closed");
    expect(server.stats.badFrames).toBe(1);
  });

  describe("faults", () => {
    it("no-answer: the client times out, then the next request is answered", async () => {
      const c = await connect(1, 200);
      faults.inject({ mode: "no-answer", count: 1 });
      expect((await rejection(c.readHoldingRegisters(0, 1))).message).toBe("Timed out");
      expect((await c.readHoldingRegisters(0, 1)).data).toEqual([11]);
    });

    it("exception: the client sees the chosen exception code, scoped to one unit", async () => {
      const c = await connect(1);
      faults.inject({ mode: "exception", exceptionCode: 6, unitId: 1 });
      expect((await rejection(c.readHoldingRegisters(0, 1))).modbusCode).toBe(6);
      c.setID(2);
      expect((await c.readHoldingRegisters(0, 1)).data).toEqual([21]);
    });

    it("drop: the server closes the connection", async () => {
      const c = await connect(1, 300);
      let closed = false;
      c.on("close", () => {
        closed = true;
      });
      faults.inject({ mode: "drop", count: 1 });
      // modbus-serial does not fail pending requests on close: they time out.
      expect((await rejection(c.readHoldingRegisters(0, 1))).message).toBe("Timed out");
      await waitFor(() => closed && server.connections === 0, "connection closed");
      expect(c.isOpen).toBe(false);
    });

    it("garbage: the client gets bytes that are no valid reply", async () => {
      const c = await connect(1, 300);
      faults.inject({ mode: "garbage", count: 1, garbageLength: 16 });
      expect((await rejection(c.readHoldingRegisters(0, 2))).message).toEqual(expect.any(String));
      expect(server.stats.replies).toBe(1);
    });

    it("bad-crc: a corrupt MBAP length makes the client reject the reply", async () => {
      const c = await connect(1, 300);
      faults.inject({ mode: "bad-crc", count: 1 });
      expect((await rejection(c.readHoldingRegisters(0, 2))).message).toMatch(/length/i);
      const raw = await rawRequest(server.port, mbap(5, 1, [3, 0, 0, 0, 1]), 11);
      expect((raw as Buffer).readUInt16BE(4)).toBe(5); // header says 5, 6 bytes follow: 01 03 02 00 0b
    });

    it("truncated: the client gets a reply shorter than the request needs", async () => {
      faults.inject({ mode: "truncated", count: 1 });
      const c = await connect(1, 300);
      expect((await rejection(c.readHoldingRegisters(0, 3))).message).toMatch(/length/i);
      expect((await c.readHoldingRegisters(0, 1)).data).toEqual([11]);
    });

    it("slow: the reply waits for the server's clock", async () => {
      const c = await connect(1, 10_000);
      faults.inject({ mode: "slow", delayMs: 5000, count: 1 });
      const pending = track(c.readHoldingRegisters(0, 1));
      await waitFor(() => server.stats.delayed === 1, "delayed reply");
      expect(pending.settled()).toBe(false);
      clock.advance(5000);
      expect((await pending.promise).data).toEqual([11]);
      expect(server.stats.delayed).toBe(0);
    });
  });
});
