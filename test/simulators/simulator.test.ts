import { afterEach, describe, expect, it } from "vitest";
import type ModbusRTU from "modbus-serial";
import { ManualClock } from "../../src/core/clock.js";
import { isLosError } from "../../src/core/errors.js";
import { GREENHOUSE_MAP as MAP } from "../../simulators/models/greenhouse-map.js";
import { startModbusSimulator, type ModbusSimulator } from "../../simulators/modbus/simulator.js";
import { createPtyPair, type PtyPair } from "../../simulators/serial/pty-pair.js";
import { closeClient, rejection, rtuClient } from "./helpers.js";

describe("startModbusSimulator", () => {
  let sim: ModbusSimulator | undefined;
  let pair: PtyPair | undefined;
  let client: ModbusRTU | undefined;
  afterEach(async () => {
    if (client) await closeClient(client);
    await sim?.close();
    await pair?.close();
    sim = undefined;
    client = undefined;
    pair = undefined;
  });

  it("serves two greenhouses on one RTU bus, each with its own state and its own faults", async () => {
    pair = await createPtyPair();
    const clock = new ManualClock();
    sim = await startModbusSimulator({ transport: "rtu", path: pair.a, model: "greenhouse", unitIds: [1, 2], clock });
    expect([sim.transport, sim.path, sim.port, sim.model.kind, sim.models.size]).toEqual(["rtu", pair.a, undefined, "greenhouse", 2]);
    client = await rtuClient(pair.b, 1, 300);
    await client.writeCoil(MAP.coil.heater, true);
    clock.advance(5 * 60_000);
    const t1 = (await client.readInputRegisters(MAP.input.temperature, 1)).data[0] as number;
    client.setID(2);
    const t2 = (await client.readInputRegisters(MAP.input.temperature, 1)).data[0] as number;
    expect(t1).toBeGreaterThan(t2 + 50); // only unit 1 was heated (x10 scale)
    expect(sim.bank(1).getBit("coil", MAP.coil.heater)).toBe(true);
    expect(sim.bank(2).getBit("coil", MAP.coil.heater)).toBe(false);

    sim.faults.inject({ mode: "no-answer", unitId: 2 });
    expect((await rejection(client.readInputRegisters(0, 1))).message).toBe("Timed out");
    client.setID(1);
    expect((await client.readInputRegisters(0, 1)).data).toHaveLength(1);
    sim.faults.clear();
    expect(sim.stats().requests).toBeGreaterThan(0);
  });

  it("ticks models on the clock and stops ticking on close", async () => {
    const clock = new ManualClock();
    sim = await startModbusSimulator({ transport: "tcp", model: "greenhouse", clock, tickMs: 250 });
    clock.advance(1000);
    expect(sim.model.step).toBeTypeOf("function");
    expect((sim.model as unknown as { state(): { elapsedMs: number } }).state().elapsedMs).toBe(1000);
    await sim.close();
    expect(clock.pendingTimers()).toBe(0);
    await sim.close(); // idempotent
  });

  it("rejects bad options and unknown unit ids with coded errors", async () => {
    const err = await rejection(startModbusSimulator({ transport: "rtu", path: "/nonexistent/tty", model: "greenhouse", unitIds: [0] }));
    expect(isLosError(err, "LOS_E_SIM_START")).toBe(true);
    const missing = await rejection(startModbusSimulator({ transport: "rtu", path: "/nonexistent/tty", model: "greenhouse" }));
    expect(isLosError(missing, "LOS_E_SIM_START")).toBe(true);
    sim = await startModbusSimulator({ transport: "tcp", model: "registers", unitIds: [4] });
    expect(() => sim!.bank(5)).toThrow(expect.objectContaining({ code: "LOS_E_DEVICE_UNKNOWN" }));
  });
});
