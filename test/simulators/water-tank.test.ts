/** Physics of the water-tank model: level, pressure, motor heating, overheat alarm and trip. */
import { describe, expect, it } from "vitest";
import { WATER_TANK_PHYSICS as P, WaterTankModel } from "../../simulators/models/water-tank.js";

const MIN = 60_000;

describe("WaterTankModel", () => {
  it("fills with the valve open and drains with the pump on, at the designed rates", () => {
    const tank = new WaterTankModel({ levelM: 1 });
    tank.setValve(50);
    tank.step(10 * MIN);
    // 50 % of 0.01 m3/s over 2 m2 for 600 s = 1.5 m
    expect(tank.state().levelM).toBeCloseTo(2.5, 6);
    expect(tank.state().mode).toBe("filling");
    expect(tank.state().inflowM3h).toBeCloseTo(18, 6);

    tank.setValve(0);
    tank.setPumpCommand(true);
    tank.step(5 * MIN);
    // 0.008 m3/s over 2 m2 for 300 s = 1.2 m
    expect(tank.state().levelM).toBeCloseTo(1.3, 6);
    expect(tank.state().mode).toBe("draining");
    expect(tank.state().pumpStarts).toBe(1);
    expect(tank.state().pumpRunSeconds).toBe(300);
  });

  it("clamps the level between empty and full", () => {
    const tank = new WaterTankModel({ levelM: 3.9, valvePct: 100 });
    tank.step(10 * MIN);
    expect(tank.state().levelM).toBe(P.heightM);
    const empty = new WaterTankModel({ levelM: 0.1 });
    empty.setPumpCommand(true);
    empty.step(MIN);
    expect(empty.state().levelM).toBe(0);
    expect(empty.state().outflowM3h).toBe(0);
  });

  it("outlet pressure is the static head plus the pump head while running", () => {
    const tank = new WaterTankModel({ levelM: 2 });
    expect(tank.state().outletPressureBar).toBeCloseTo(2 * 0.0981, 6);
    tank.setPumpCommand(true);
    expect(tank.state().outletPressureBar).toBeCloseTo(2 * 0.0981 + 2.5, 6);
  });

  it("a pump pumping water warms to ambient + 45 K and never alarms", () => {
    const tank = new WaterTankModel({ levelM: 3, valvePct: 80 }); // inflow > outflow: never empties
    tank.setPumpCommand(true);
    tank.step(5 * 300_000); // five time constants
    const s = tank.state();
    expect(s.motorTempC).toBeGreaterThan(64);
    expect(s.motorTempC).toBeLessThanOrEqual(65);
    expect(s.overheatAlarm).toBe(false);
    expect(s.pumpRunning).toBe(true);
  });

  it("running dry overheats, trips the pump, and the trip latches until reset after cooling", () => {
    const tank = new WaterTankModel({ levelM: 0 });
    tank.setPumpCommand(true);
    let seconds = 0;
    while (!tank.state().pumpTripped && seconds < 3600) {
      tank.step(1000);
      seconds++;
    }
    const tripped = tank.state();
    expect(tripped.overheatAlarm).toBe(true);
    expect(tripped.pumpTripped).toBe(true);
    expect(tripped.pumpRunning).toBe(false);
    expect(tripped.mode).toBe("tripped");
    expect(tripped.motorTempC).toBeGreaterThanOrEqual(80);
    // 20 + 90 (1 - e^(-t/300)) = 80  =>  t = 300 ln 3 = 330 s
    expect(seconds).toBe(Math.ceil(300 * Math.log(3)));

    // cooling: the alarm holds until 10 K below the limit (hysteresis)
    tank.step(60_000);
    expect(tank.state().motorTempC).toBeLessThan(80);
    expect(tank.state().overheatAlarm).toBe(true);
    tank.step(20 * MIN);
    expect(tank.state().motorTempC).toBeLessThan(70);
    expect(tank.state().overheatAlarm).toBe(false);
    // still latched: the command is on, the pump stays off
    expect(tank.state().pumpTripped).toBe(true);
    expect(tank.state().pumpRunning).toBe(false);
    tank.setPumpCommand(false);
    expect(tank.state().pumpTripped).toBe(false);
    tank.setPumpCommand(true);
    expect(tank.state().pumpRunning).toBe(true);
    expect(tank.state().pumpStarts).toBe(2);
  });

  it("refuses to start while the motor is hot", () => {
    const tank = new WaterTankModel();
    tank.override("motorTempC", 85);
    expect(tank.state().overheatAlarm).toBe(true);
    tank.setPumpCommand(true);
    expect(tank.state().pumpRunning).toBe(false);
    expect(tank.state().pumpTripped).toBe(true);
  });

  it("the same seed gives the same readings; the noise stays within the sensor's band", () => {
    const run = (seed: number) => {
      const tank = new WaterTankModel({ seed, valvePct: 30 });
      const out: number[] = [];
      for (let i = 0; i < 20; i++) {
        tank.step(1000);
        const r = tank.readings();
        out.push(r.levelM, r.outletPressureBar, r.motorTempC);
        expect(Math.abs(r.levelM - tank.state().levelM)).toBeLessThanOrEqual(0.001);
        expect(Math.abs(r.motorTempC - tank.state().motorTempC)).toBeLessThanOrEqual(0.05);
      }
      return out;
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });

  it("rejects impossible commands and notifies listeners of changes", () => {
    const tank = new WaterTankModel();
    expect(() => tank.setValve(101)).toThrow(RangeError);
    expect(() => tank.setValve(Number.NaN)).toThrow(RangeError);
    expect(() => tank.setOverheatLimit(-1)).toThrow(RangeError);
    let changes = 0;
    const off = tank.onChange(() => changes++);
    tank.setValve(10);
    tank.step(1000);
    off();
    tank.step(1000);
    expect(changes).toBe(2);
  });
});
