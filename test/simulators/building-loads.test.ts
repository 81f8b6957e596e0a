import { describe, expect, it } from "vitest";
import { BuildingLoadsModel } from "../../simulators/models/building-loads.js";
import { BUILDING_LOADS_MAP as MAP, BUILDING_LOADS_PHYSICS as P } from "../../simulators/models/building-loads-map.js";

const F32 = { wordOrder: "big" } as const;
const input = (m: BuildingLoadsModel, address: number) => m.bank.readValue("input", address, "float32", F32);

describe("building-loads model", () => {
  it("meters the sum of every load and the base load", () => {
    const m = new BuildingLoadsModel({ seed: 3 });
    const s = m.state();
    expect(s.waterHeaterKw).toBe(P.waterHeaterKw);
    expect(s.hvacKw).toBe(P.hvacKw);
    expect(s.evKw).toBeCloseTo(32 * P.evKwPerA, 6);
    expect(s.poolPumpKw).toBe(P.poolPumpKw);
    expect(s.freezerKw).toBe(P.freezerKw);
    expect(s.siteKw).toBeCloseTo(s.waterHeaterKw + s.hvacKw + s.evKw + s.poolPumpKw + s.freezerKw + s.baseKw, 6);
    expect(input(m, MAP.input.sitePower)).toBeCloseTo(s.siteKw, 4);
  });

  it("drops the meter at once when a client switches loads off or turns the charger down", () => {
    const m = new BuildingLoadsModel();
    const before = input(m, MAP.input.sitePower);
    expect(m.bank.clientWrite("coil", MAP.coil.waterHeater, [0])).toBeUndefined();
    expect(m.bank.clientWrite("holding", MAP.holding.evCurrent, [10])).toBeUndefined();
    const after = input(m, MAP.input.sitePower);
    expect(before - after).toBeCloseTo(P.waterHeaterKw + 22 * P.evKwPerA, 4);
    // under 6 A the charger pauses
    m.bank.clientWrite("holding", MAP.holding.evCurrent, [5]);
    expect(input(m, MAP.input.evPower)).toBe(0);
  });

  it("refuses an EV current above 32 A and a tank setpoint outside 40..75 degC with exception 03", () => {
    const m = new BuildingLoadsModel();
    expect(m.bank.clientWrite("holding", MAP.holding.evCurrent, [33])).toBe(3);
    expect(m.bank.clientWrite("holding", MAP.holding.tankSetpoint, [800])).toBe(3);
    expect(m.state().evCurrentA).toBe(32);
  });

  it("moves the comfort signals with time and power", () => {
    const m = new BuildingLoadsModel({ tankTemperatureC: 50, roomTemperatureC: 24, evSocPct: 50, poolFilteredHours: 1, freezerTemperatureC: -19 });
    m.step(600_000); // 10 simulated minutes, everything on
    const on = m.state();
    expect(on.tankTemperatureC).toBeCloseTo(50 + (P.tankHeatRate - P.tankDrawRate) * 600, 3);
    expect(on.roomTemperatureC).toBeLessThan(24);
    expect(on.evSocPct).toBeCloseTo(50 + (32 * P.evKwPerA * P.evEfficiency * (600 / 3600) * 100) / P.evBatteryKWh, 3);
    expect(on.poolFilteredHours).toBeCloseTo(1 + 1 / 6, 6);
    expect(on.siteEnergyKWh).toBeGreaterThan(0);

    for (const coil of [MAP.coil.waterHeater, MAP.coil.hvac, MAP.coil.poolPump, MAP.coil.freezer]) m.bank.clientWrite("coil", coil, [0]);
    m.bank.clientWrite("holding", MAP.holding.evCurrent, [0]);
    m.step(600_000);
    const off = m.state();
    expect(off.tankTemperatureC).toBeCloseTo(on.tankTemperatureC - P.tankDrawRate * 600, 3);
    expect(off.roomTemperatureC).toBeGreaterThan(on.roomTemperatureC);
    expect(off.evSocPct).toBe(on.evSocPct);
    expect(off.poolFilteredHours).toBe(on.poolFilteredHours);
    expect(off.freezerTemperatureC).toBeCloseTo(on.freezerTemperatureC + P.freezerWarmRate * 600, 3);
    expect(off.siteKw).toBeCloseTo(off.baseKw, 6);
  });

  it("stops heating at the thermostat setpoint and restarts below the hysteresis band", () => {
    const m = new BuildingLoadsModel({ tankTemperatureC: 59.9 });
    m.step(60_000);
    expect(m.state().tankHeating).toBe(false);
    expect(m.state().waterHeaterKw).toBe(0);
    const t = m.state().tankTemperatureC;
    m.step(Math.ceil(((t - (60 - P.tankHysteresisK)) / P.tankDrawRate) * 1000) + 2000);
    expect(m.state().tankHeating).toBe(true);
  });

  it("takes in comfort values written raw into the bank", () => {
    const m = new BuildingLoadsModel();
    m.bank.writeValue("input", MAP.input.roomTemperature, "float32", 27.5, F32);
    m.sync();
    expect(m.state().roomTemperatureC).toBeCloseTo(27.5, 4);
    m.step(1000);
    expect(m.state().roomTemperatureC).toBeLessThan(27.5); // the compressor cools from there
  });

  it("is deterministic for a seed", () => {
    const a = new BuildingLoadsModel({ seed: 9 });
    const b = new BuildingLoadsModel({ seed: 9 });
    a.step(120_000);
    b.step(120_000);
    expect(a.state()).toEqual(b.state());
    expect(Math.abs(a.state().baseKw - P.baseKw)).toBeLessThanOrEqual(P.baseWanderKw);
  });
});
