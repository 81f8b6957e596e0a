import { describe, expect, it } from "vitest";
import { FactoryCellModel } from "../../simulators/models/factory-cell.js";
import { FACTORY_CELL_MAP as MAP } from "../../simulators/models/factory-cell-map.js";

const C = MAP.coil;
const pulse = (m: FactoryCellModel, address: number) => m.bank.clientWrite("coil", address, [1]);

/** Release a part and carry it to machine `machine`'s station. */
function deliver(m: FactoryCellModel, machine: number): void {
  expect(pulse(m, C.infeedRelease)).toBeUndefined();
  m.bank.clientWrite("holding", MAP.holding.conveyorTarget, [machine]);
  m.bank.clientWrite("coil", C.conveyorMotor, [1]);
  m.step(10_000);
}

describe("factory-cell model", () => {
  it("carries a part to the target station and stops the belt there", () => {
    const m = new FactoryCellModel({ speedMmS: 500 });
    deliver(m, 2);
    const s = m.state();
    expect(s.conveyorMotor).toBe(false);
    expect(s.parts).toEqual([2000]);
    expect(m.bank.getBit("discrete", MAP.discrete.partAtStation + 1)).toBe(true);
    expect(m.bank.getBit("discrete", MAP.discrete.partAtStation)).toBe(false);
    expect(m.bank.getWord("input", MAP.input.leadPosition)).toBe(2000);
  });

  it("loads, machines for the cycle time and counts the part done", () => {
    const m = new FactoryCellModel({ cycleS: [10, 30, 25] });
    deliver(m, 1);
    expect(pulse(m, C.load)).toBeUndefined();
    expect(m.state().machines[0]?.state).toBe("loaded");
    expect(m.state().parts).toEqual([]);
    expect(m.bank.getBit("coil", C.load)).toBe(false); // a pulse drops back
    expect(pulse(m, C.start)).toBeUndefined();
    m.step(5000);
    expect(m.state().machines[0]).toMatchObject({ state: "busy", progress: 50 });
    m.step(5000);
    expect(m.state().machines[0]).toMatchObject({ state: "idle", done: 1 });
    expect(m.bank.getWord("input", MAP.input.machine + MAP.machineInput.done)).toBe(1);
  });

  it("refuses commands that break the physical rules with exception 04", () => {
    const m = new FactoryCellModel();
    expect(pulse(m, C.start)).toBe(4); // no part loaded
    expect(pulse(m, C.load)).toBe(4); // no part at the station
    pulse(m, C.infeedRelease);
    expect(pulse(m, C.infeedRelease)).toBe(4); // infeed occupied
    m.bank.clientWrite("holding", MAP.holding.conveyorTarget, [1]);
    m.bank.clientWrite("coil", C.conveyorMotor, [1]);
    expect(pulse(m, C.infeedRelease)).toBe(4); // belt running
    m.step(2000); // reaches station 1 at 1000 mm / 500 mm/s
    expect(m.state().conveyorMotor).toBe(false);
    m.bank.clientWrite("coil", C.conveyorMotor, [1]);
    expect(pulse(m, C.load)).toBe(4); // cannot load from a running belt
    expect(m.state().refused).toBe(5);
    expect(m.state().lastRefusal).toMatch(/belt running/);
    expect(m.bank.clientWrite("holding", MAP.holding.conveyorSpeed, [20])).toBe(3);
  });

  it("runs parts off the end of the belt without a target", () => {
    const m = new FactoryCellModel({ speedMmS: 1000 });
    pulse(m, C.infeedRelease);
    m.bank.clientWrite("coil", C.conveyorMotor, [1]);
    m.step(5000);
    expect(m.state()).toMatchObject({ parts: [], lost: 1, conveyorMotor: true });
  });

  it("a fault trip stops the machine, scraps its part and holds until reset after the trip clears", () => {
    const m = new FactoryCellModel({ cycleS: [20, 30, 25] });
    deliver(m, 2);
    pulse(m, C.load + 1);
    pulse(m, C.start + 1);
    m.step(3000);
    m.setFaultTrip(2, true);
    expect(m.state().machines[1]).toMatchObject({ state: "fault", scrapped: 1, done: 0 });
    m.step(60_000);
    expect(m.state().machines[1]).toMatchObject({ state: "fault", done: 0 });
    expect(pulse(m, C.reset + 1)).toBe(4); // trip still active
    m.setFaultTrip(2, false);
    expect(pulse(m, C.reset + 1)).toBeUndefined();
    expect(m.state().machines[1]?.state).toBe("idle");
  });

  it("takes a fault trip written raw into the bank (the control API's way) at the next sync", () => {
    const m = new FactoryCellModel();
    m.bank.setBit("discrete", MAP.discrete.faultTrip + 2, true);
    m.sync();
    expect(m.bank.getWord("input", MAP.input.machine + 8 + MAP.machineInput.state)).toBe(3);
  });
});
