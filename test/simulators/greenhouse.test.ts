import { afterEach, describe, expect, it } from "vitest";
import type ModbusRTU from "modbus-serial";
import { ManualClock } from "../../src/core/clock.js";
import { GreenhouseModel } from "../../simulators/models/greenhouse.js";
import { GREENHOUSE_MAP as MAP } from "../../simulators/models/greenhouse-map.js";
import { Weather } from "../../simulators/models/weather.js";
import { startModbusSimulator, type ModbusSimulator } from "../../simulators/modbus/simulator.js";
import { decodeValue } from "../../simulators/modbus/value-codec.js";
import { closeClient, rejection, tcpClient } from "./helpers.js";

const MINUTE = 60_000;
const int16 = (w: number) => (w >= 0x8000 ? w - 0x10000 : w);

function run(model: GreenhouseModel, minutes: number): void {
  for (let i = 0; i < minutes * 6; i++) model.step(10_000);
}

describe("greenhouse over Modbus TCP on a manual clock", () => {
  let sim: ModbusSimulator | undefined;
  let client: ModbusRTU | undefined;
  afterEach(async () => {
    if (client) await closeClient(client);
    await sim?.close();
  });

  it("heater on for 10 simulated minutes raises the temperature; the vent then lowers it", async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 15, 6, 0));
    sim = await startModbusSimulator({ transport: "tcp", model: "greenhouse", clock, tickMs: 1000 });
    client = await tcpClient(sim.port as number);
    const temperature = async () => int16((await client!.readInputRegisters(MAP.input.temperature, 1)).data[0] as number) / 10;
    const status = async () => (await client!.readInputRegisters(MAP.input.status, 1)).data[0] as number;

    const start = await temperature();
    await client.writeCoil(MAP.coil.heater, true);
    expect((await status()) & 1).toBe(1); // bit 0: heater on, visible at once
    clock.advance(10 * MINUTE);
    const heated = await temperature();
    expect(heated - start).toBeGreaterThan(8);

    const energy = await client.readInputRegisters(MAP.input.heaterEnergy, 2);
    expect(decodeValue("float32", energy.data, { wordOrder: "big" })).toBeCloseTo(0.5, 2); // 3 kW for 1/6 h

    await client.writeCoil(MAP.coil.heater, false);
    await client.writeCoils(MAP.coil.fan, [true, true]); // fan and vent
    expect((await status()) & 0b111).toBe(0b110);
    clock.advance(10 * MINUTE);
    expect(await temperature()).toBeLessThan(heated - 5);
  });

  it("refuses an out-of-range fan speed with exception 03 and accepts a valid one", async () => {
    sim = await startModbusSimulator({ transport: "tcp", model: "greenhouse", clock: new ManualClock() });
    client = await tcpClient(sim.port as number);
    expect((await rejection(client.writeRegister(MAP.holding.fanSpeed, 150))).modbusCode).toBe(3);
    await client.writeRegister(MAP.holding.fanSpeed, 40);
    expect((await client.readHoldingRegisters(0, 3)).data).toEqual([210, 40, 350]);
    expect((await rejection(client.readInputRegisters(0, 8))).modbusCode).toBe(2);
  });
});

describe("greenhouse physics", () => {
  it("an open vent or a running fan cools a warm greenhouse faster than closed walls", () => {
    const closed = new GreenhouseModel({ temperatureC: 25 });
    const vent = new GreenhouseModel({ temperatureC: 25 });
    const fan = new GreenhouseModel({ temperatureC: 25 });
    vent.bank.setBit("coil", MAP.coil.vent, true);
    fan.bank.setBit("coil", MAP.coil.fan, true);
    for (const m of [closed, vent, fan]) run(m, 10);
    expect(vent.state().temperatureC).toBeLessThan(closed.state().temperatureC - 2);
    expect(fan.state().temperatureC).toBeLessThan(closed.state().temperatureC - 2);
  });

  it("raises the high-temperature alarm bit when the heater overshoots, with hysteresis", () => {
    const g = new GreenhouseModel();
    g.bank.writeValue("holding", MAP.holding.alarmLimit, "int16", 250);
    g.bank.setBit("coil", MAP.coil.heater, true);
    run(g, 10);
    expect(g.state().highTempAlarm).toBe(true);
    expect(g.bank.getRegisterBit("input", MAP.input.status, MAP.statusBits.highTempAlarm)).toBe(true);
    g.bank.setBit("coil", MAP.coil.heater, false);
    g.bank.setBit("coil", MAP.coil.vent, true);
    run(g, 20);
    expect(g.bank.getRegisterBit("input", MAP.input.status, MAP.statusBits.highTempAlarm)).toBe(false);
  });

  it("reports the door switch as a discrete input and in the status word", () => {
    const g = new GreenhouseModel();
    g.setDoor(true);
    expect(g.bank.getBit("discrete", MAP.discrete.door)).toBe(true);
    expect(g.bank.getRegisterBit("input", MAP.input.status, MAP.statusBits.doorOpen)).toBe(true);
  });

  it("heating dries the air: relative humidity falls as temperature rises", () => {
    const g = new GreenhouseModel();
    const before = g.state().humidityRh;
    g.bank.setBit("coil", MAP.coil.heater, true);
    run(g, 5);
    expect(g.state().humidityRh).toBeLessThan(before - 5);
  });
});

describe("seeded weather", () => {
  it("is the same for the same seed and differs for another seed", () => {
    const a = new GreenhouseModel({ seed: 42 });
    const b = new GreenhouseModel({ seed: 42 });
    const c = new GreenhouseModel({ seed: 43 });
    for (const m of [a, b, c]) run(m, 120);
    expect(b.bank.getWords("input", 0, 7)).toEqual(a.bank.getWords("input", 0, 7));
    expect(c.state().outsideTemperatureC).not.toBe(a.state().outsideTemperatureC);
  });

  it("does not depend on how time is stepped", () => {
    const fine = new Weather({ seed: 9 });
    const coarse = new Weather({ seed: 9 });
    for (let t = 0; t <= 3 * 3_600_000; t += 7_000) fine.at(t);
    expect(fine.at(3 * 3_600_000)).toEqual(coarse.at(3 * 3_600_000));
  });

  it("follows the day: afternoon is warmer than before dawn", () => {
    const w = new Weather({ seed: 1, startMs: Date.UTC(2026, 5, 1, 0, 0), noiseC: 0 });
    expect(w.at(15 * 3_600_000).temperatureC - w.at(3 * 3_600_000).temperatureC).toBeCloseTo(12, 5);
    expect(w.at(2 * 3_600_000).sun).toBe(0);
    expect(w.at(12 * 3_600_000).sun).toBeGreaterThan(0);
  });
});

describe("greenhouse sensor overrides: the model's state is the source of truth", () => {
  let sim: ModbusSimulator | undefined;
  let client: ModbusRTU | undefined;
  afterEach(async () => {
    if (client) await closeClient(client);
    client = undefined;
    await sim?.close();
    sim = undefined;
  });

  it("a temperature written straight into the bank survives a client coil write and is where physics starts", async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 15, 2, 0));
    sim = await startModbusSimulator({ transport: "tcp", model: "greenhouse", clock, tickMs: 1000 });
    client = await tcpClient(sim.port as number);
    const humidityBefore = sim.bank(1).getWord("input", MAP.input.humidity);
    sim.bank(1).writeValue("input", MAP.input.temperature, "int16", 312);
    await client.writeCoil(MAP.coil.fan, true); // the model republishes on every client write
    expect((await client.readInputRegisters(MAP.input.temperature, 1)).data[0]).toBe(312);
    expect(sim.bank(1).getWord("input", MAP.input.humidity)).toBe(humidityBefore); // only the written reading changed
    const model = sim.model as GreenhouseModel;
    expect(model.state().temperatureC).toBeCloseTo(31.2, 10);
    clock.advance(60_000); // a cold night with the fan running: it cools from 31.2, not from 20
    const after = model.state().temperatureC;
    expect(after).toBeLessThan(31.2);
    expect(after).toBeGreaterThan(25);
  });

  it("override() sets the model's sensor value, which holds until a step moves it", () => {
    const g = new GreenhouseModel({ startMs: Date.UTC(2026, 0, 15, 2, 0) });
    const rh = g.bank.getWord("input", MAP.input.humidity);
    g.setTemperature(28.5);
    expect(g.bank.readValue("input", MAP.input.temperature, "int16")).toBe(285);
    expect(g.bank.getWord("input", MAP.input.humidity)).toBe(rh);
    g.bank.clientWrite("coil", MAP.coil.vent, [1]);
    g.bank.clientWrite("holding", MAP.holding.setpoint, [230]);
    expect(g.state().temperatureC).toBe(28.5);
    expect(g.bank.readValue("input", MAP.input.temperature, "int16")).toBe(285);
    g.step(10_000);
    expect(g.state().temperatureC).toBeLessThan(28.5);
    expect(g.state().temperatureC).toBeGreaterThan(27);

    g.setHumidity(90);
    expect(g.bank.getWord("input", MAP.input.humidity)).toBe(900);
    g.override("heaterEnergyKWh", 12.5);
    expect(g.bank.readValue("input", MAP.input.heaterEnergy, "float32", { wordOrder: "big" })).toBe(12.5);
    g.bank.clientWrite("coil", MAP.coil.heater, [1]);
    g.step(60 * MINUTE);
    expect(g.state().heaterEnergyKWh).toBeCloseTo(15.5, 6); // 3 kW for an hour on top of 12.5
  });

  it("the alarm bit follows an overridden temperature at once", () => {
    const g = new GreenhouseModel();
    g.setTemperature(36);
    expect(g.bank.getRegisterBit("input", MAP.input.status, MAP.statusBits.highTempAlarm)).toBe(true);
  });

  it("refuses unknown sensors and impossible values; derived registers are rewritten", () => {
    const g = new GreenhouseModel();
    expect(() => g.override("outsideTemperatureC" as never, 1)).toThrow(RangeError);
    expect(() => g.setHumidity(120)).toThrow(RangeError);
    expect(() => g.setTemperature(Number.NaN)).toThrow(RangeError);
    const status = g.bank.getWord("input", MAP.input.status);
    const outside = g.bank.getWord("input", MAP.input.outsideTemperature);
    g.bank.setWord("input", MAP.input.status, 0xffff);
    g.bank.setWord("input", MAP.input.outsideTemperature, 999);
    g.sync();
    expect(g.bank.getWord("input", MAP.input.status)).toBe(status);
    expect(g.bank.getWord("input", MAP.input.outsideTemperature)).toBe(outside);
  });
});
