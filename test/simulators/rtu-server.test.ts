import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type ModbusRTU from "modbus-serial";
import { SerialPort } from "serialport";
import { ManualClock } from "../../src/core/clock.js";
import { appendCrc } from "../../simulators/modbus/crc16.js";
import { FaultInjector } from "../../simulators/modbus/faults.js";
import { RegisterBank } from "../../simulators/modbus/register-bank.js";
import { ModbusRtuServer } from "../../simulators/modbus/rtu-server.js";
import { createPtyPair, type PtyPair } from "../../simulators/serial/pty-pair.js";
import { closeClient, rejection, rtuClient, track, waitFor } from "./helpers.js";

describe("ModbusRtuServer on a socat pty pair, two unit ids on one bus", () => {
  let pair: PtyPair;
  let server: ModbusRtuServer;
  const faults = new FaultInjector();
  const clock = new ManualClock();
  const banks = new Map<number, RegisterBank>();

  beforeAll(async () => {
    pair = await createPtyPair();
    const one = new RegisterBank({ ranges: { holding: [{ start: 0, count: 50 }] } });
    const two = new RegisterBank();
    banks.set(1, one).set(2, two);
    server = await ModbusRtuServer.start({ path: pair.a, banks, faults, clock });
  });

  afterAll(async () => {
    await server?.close();
    await pair?.close();
  });

  beforeEach(() => {
    faults.clear();
    banks.get(1)?.setWords("holding", 0, [101, 102, 103]);
    banks.get(1)?.setWords("input", 0, [7, 8]);
    banks.get(1)?.setBits("coil", 0, [true, false, true]);
    banks.get(1)?.setBits("discrete", 0, [false, true]);
    banks.get(2)?.setWords("holding", 0, [201, 202]);
  });

  describe("with a modbus-serial RTU client", () => {
    let client: ModbusRTU;
    afterEach(async () => {
      await closeClient(client);
    });

    it("serves every function code to both unit ids", async () => {
      client = await rtuClient(pair.b, 1);
      expect((await client.readCoils(0, 3)).data.slice(0, 3)).toEqual([true, false, true]);
      expect((await client.readDiscreteInputs(0, 2)).data.slice(0, 2)).toEqual([false, true]);
      expect((await client.readHoldingRegisters(0, 3)).data).toEqual([101, 102, 103]);
      expect((await client.readInputRegisters(0, 2)).data).toEqual([7, 8]);
      await client.writeCoil(1, true);
      await client.writeRegister(4, 404);
      await client.writeCoils(8, [true, false, true]);
      await client.writeRegisters(10, [1, 2]);
      const b1 = banks.get(1) as RegisterBank;
      expect([b1.getBit("coil", 1), b1.getWord("holding", 4), b1.getBits("coil", 8, 3), b1.getWords("holding", 10, 2)]).toEqual([
        true,
        404,
        [true, false, true],
        [1, 2],
      ]);
      client.setID(2);
      expect((await client.readHoldingRegisters(0, 2)).data).toEqual([201, 202]);
      await client.writeRegister(0, 299);
      expect(banks.get(2)?.getWord("holding", 0)).toBe(299);
    });

    it("answers exceptions 02 and 03 (01 is checked with raw frames below)", async () => {
      client = await rtuClient(pair.b, 1);
      expect((await rejection(client.readHoldingRegisters(49, 2))).modbusCode).toBe(2);
      expect((await rejection(client.readHoldingRegisters(0, 126))).modbusCode).toBe(3);
      expect((await client.readHoldingRegisters(0, 1)).data).toEqual([101]);
    });

    it("stays silent for a unit id that is not on the bus", async () => {
      client = await rtuClient(pair.b, 9, 200);
      expect((await rejection(client.readHoldingRegisters(0, 1))).message).toBe("Timed out");
      expect(server.stats.otherUnit).toBeGreaterThan(0);
    });

    it("fault bad-crc: the client reports a CRC error", async () => {
      client = await rtuClient(pair.b, 1, 500);
      faults.inject({ mode: "bad-crc", count: 1 });
      expect((await rejection(client.readHoldingRegisters(0, 2))).message).toBe("CRC error");
      expect((await client.readHoldingRegisters(0, 2)).data).toEqual([101, 102]);
    });

    it("fault exception, scoped to unit 2 and limited to one request", async () => {
      client = await rtuClient(pair.b, 2);
      faults.inject({ mode: "exception", unitId: 2, exceptionCode: 4, count: 1 });
      expect((await rejection(client.readHoldingRegisters(0, 1))).modbusCode).toBe(4);
      expect((await client.readHoldingRegisters(0, 1)).data).toEqual([201]);
    });

    it.each(["no-answer", "drop", "truncated", "garbage"] as const)("fault %s: the client times out", async (mode) => {
      client = await rtuClient(pair.b, 1, 200);
      faults.inject({ mode, unitId: 1, count: 1, garbageLength: 3 });
      expect((await rejection(client.readHoldingRegisters(0, 2))).message).toBe("Timed out");
    });

    it("fault slow: the reply leaves when the server's clock has advanced", async () => {
      client = await rtuClient(pair.b, 1, 10_000);
      faults.inject({ mode: "slow", delayMs: 3000, count: 1 });
      const pending = track(client.readHoldingRegisters(0, 1));
      await waitFor(() => server.stats.delayed === 1, "delayed reply");
      expect(pending.settled()).toBe(false);
      clock.advance(3000);
      expect((await pending.promise).data).toEqual([101]);
    });
  });

  describe("with raw frames", () => {
    let port: SerialPort;
    let received: Buffer;

    beforeEach(async () => {
      received = Buffer.alloc(0);
      port = new SerialPort({ path: pair.b, baudRate: 9600, autoOpen: false });
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
      port.on("data", (d: Buffer) => {
        received = Buffer.concat([received, d]);
      });
    });

    afterEach(async () => {
      await new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
    });

    const read1 = (unit: number) => appendCrc(Buffer.from([unit, 0x03, 0, 0, 0, 1]));

    it("ignores a request with a bad CRC and frames for other units, answers the next good one", async () => {
      const bad = read1(1);
      bad[6] = (bad[6] as number) ^ 0x55;
      const badFramesBefore = server.stats.badFrames;
      port.write(Buffer.concat([bad, read1(7), read1(2)]));
      const expected = appendCrc(Buffer.from([2, 0x03, 2, 0, 201]));
      await waitFor(() => received.length >= expected.length, "reply from unit 2");
      expect(received.toString("hex")).toBe(expected.toString("hex"));
      expect(server.stats.badFrames).toBeGreaterThan(badFramesBefore);
    });

    it("answers exception 01 to function codes it does not implement, fixed-length or not", async () => {
      // modbus-serial's RTU buffered port cannot receive replies to FC 17, 22 or custom codes.
      port.write(appendCrc(Buffer.from([1, 0x16, 0, 0, 0, 0xff, 0, 0]))); // mask write register
      port.write(appendCrc(Buffer.from([1, 0x41, 1, 2, 3]))); // user-defined, length unknown
      const expected = Buffer.concat([appendCrc(Buffer.from([1, 0x96, 1])), appendCrc(Buffer.from([1, 0xc1, 1]))]);
      await waitFor(() => received.length >= expected.length, "two exception replies");
      expect(received.toString("hex")).toBe(expected.toString("hex"));
    });

    it("executes a broadcast write on every unit without answering", async () => {
      const broadcasts = server.stats.broadcasts;
      port.write(appendCrc(Buffer.from([0, 0x06, 0, 30, 0, 42])));
      await waitFor(() => server.stats.broadcasts === broadcasts + 1, "broadcast executed");
      expect([banks.get(1)?.getWord("holding", 30), banks.get(2)?.getWord("holding", 30)]).toEqual([42, 42]);
      port.write(read1(1));
      await waitFor(() => received.length >= 7, "reply to the read after the broadcast");
      expect(received.toString("hex")).toBe(appendCrc(Buffer.from([1, 0x03, 2, 0, 101])).toString("hex"));
    });
  });
});

describe("createPtyPair", () => {
  it("explains when socat is missing", async () => {
    await expect(createPtyPair({ socat: "/nonexistent/socat" })).rejects.toMatchObject({
      code: "LOS_E_SIM_START",
      message: expect.stringMatching(/socat is not installed/),
    });
  });
});
