import { afterEach, describe, expect, it } from "vitest";
import type ModbusRTU from "modbus-serial";
import { ManualClock } from "../../src/core/clock.js";
import { defaultRegisterPoints, RegisterModel } from "../../simulators/models/register-model.js";
import { startModbusSimulator, type ModbusSimulator } from "../../simulators/modbus/simulator.js";
import { closeClient, rejection, tcpClient } from "./helpers.js";

describe("RegisterModel", () => {
  it("serves 20 default points whose input values change on every step and stay in bounds", () => {
    const points = defaultRegisterPoints(20);
    expect(points).toHaveLength(20);
    const m = new RegisterModel({ points, seed: 5 });
    const inputs = m.values().filter((v) => v.register === "input");
    let before = inputs.map((v) => v.value);
    for (let i = 0; i < 50; i++) {
      m.step(1000);
      const now = m.values().filter((v) => v.register === "input").map((v) => v.value);
      now.forEach((v, j) => expect(v).not.toBe(before[j]));
      for (const v of now) expect(Math.abs(v as number)).toBeLessThanOrEqual(1000);
      before = now;
    }
  });

  it("keeps client writes to holding registers and declares only the mapped addresses", () => {
    const m = new RegisterModel({
      points: [
        { register: "holding", address: 10, type: "uint16", initial: 5 },
        { register: "input", address: 0, type: "float32", drift: 0 },
      ],
    });
    expect(m.bank.clientWrite("holding", 10, [77])).toBeUndefined();
    m.step(1000);
    expect(m.bank.getWord("holding", 10)).toBe(77);
    expect(m.bank.exists("holding", 10)).toBe(true);
    expect(m.bank.exists("holding", 11)).toBe(false);
    expect(m.bank.exists("input", 0, 2)).toBe(true);
    expect(m.bank.exists("coil", 0)).toBe(false);
  });

  it("takes in a value written straight into the bank: drift goes on from it", () => {
    const m = new RegisterModel({ points: [{ register: "input", address: 0, type: "int16", drift: 1, min: -1000, max: 1000, initial: 0 }] });
    m.bank.writeValue("input", 0, "int16", 900);
    m.step(1000);
    const v = m.bank.readValue("input", 0, "int16");
    expect(v).not.toBe(900);
    expect(Math.abs(v - 900)).toBeLessThan(50);
    expect(m.snapshot()).toEqual({ points: [{ register: "input", address: 0, value: v }] });
  });

  it("is reproducible for a seed", () => {
    const a = new RegisterModel({ seed: 3 });
    const b = new RegisterModel({ seed: 3 });
    a.step(5000);
    b.step(5000);
    expect(a.values()).toEqual(b.values());
  });
});

describe("startModbusSimulator with the registers model", () => {
  let sim: ModbusSimulator | undefined;
  let client: ModbusRTU | undefined;
  afterEach(async () => {
    if (client) await closeClient(client);
    await sim?.close();
  });

  it("serves many unit ids whose values change between polls as the clock ticks", async () => {
    const clock = new ManualClock();
    sim = await startModbusSimulator({ transport: "tcp", model: "registers", unitIds: [1, 2, 3], clock, tickMs: 500 });
    expect(sim.unitIds).toEqual([1, 2, 3]);
    client = await tcpClient(sim.port as number, 3);
    const first = (await client.readInputRegisters(0, 4)).data;
    clock.advance(500);
    const second = (await client.readInputRegisters(0, 4)).data;
    expect(second).not.toEqual(first);
    expect(sim.bank(3).getWords("input", 0, 4)).toEqual(second);
    expect((await rejection(client.readInputRegisters(0, 125))).modbusCode).toBe(2);
  });
});
