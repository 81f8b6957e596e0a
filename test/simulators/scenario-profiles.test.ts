/**
 * The building-loads and factory-cell profiles against their simulators over real Modbus TCP: a
 * gateway polls every point and writes through its single actuation path.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { loadConfigValue } from "../../src/config/load.js";
import { buildGateway, type Gateway } from "../../src/gateway.js";
import { startModbusSimulator, type ModbusSimulator } from "../../simulators/modbus/simulator.js";
import type { BuildingLoadsModel } from "../../simulators/models/building-loads.js";
import type { FactoryCellModel } from "../../simulators/models/factory-cell.js";
import { removeDir, tempDir, TEST_SCRYPT, waitFor } from "../gateway/helpers.js";

const operator = { kind: "operator", id: "test" } as const;

describe("building-loads and factory-cell profiles over Modbus TCP", () => {
  let loads: ModbusSimulator;
  let cell: ModbusSimulator;
  let gateway: Gateway;
  let dataDir: string;

  beforeAll(async () => {
    loads = await startModbusSimulator({ transport: "tcp", port: 0, model: "building-loads", clock: new ManualClock() });
    cell = await startModbusSimulator({ transport: "tcp", port: 0, model: "factory-cell", clock: new ManualClock() });
    dataDir = await tempDir("los-scn-prof-");
    const tcp = (port: number) => ({ type: "modbus-tcp", host: "127.0.0.1", port, unitId: 1, timeoutMs: 500 });
    const config = loadConfigValue(
      {
        site: "test-site",
        gateway: "gw1",
        dataDir,
        bus: { listeners: [{ kind: "tcp", host: "127.0.0.1", port: 0, allowAnonymous: true }] },
        devices: [
          { id: "house", profile: "llmagentos/building-loads-sim", connection: tcp(loads.port!), pollMs: 50 },
          { id: "cell", profile: "llmagentos/factory-cell-sim", connection: tcp(cell.port!), pollMs: 50 },
        ],
      },
      dataDir,
    );
    gateway = await buildGateway(config, { scrypt: TEST_SCRYPT });
  });

  afterAll(async () => {
    await gateway?.close();
    await loads?.close();
    await cell?.close();
    await removeDir(dataDir);
  });

  const value = (point: string) => gateway.live.get(point)?.value;

  it("reads every point of both profiles", async () => {
    const house = (loads.model as BuildingLoadsModel).state();
    await waitFor(() => value("house/site_power") !== undefined && value("cell/m3_scrapped") !== undefined, { what: "first poll" });
    expect(value("house/site_power") as number).toBeCloseTo(house.siteKw, 3);
    expect(value("house/ev_current")).toBe(32);
    expect(value("house/tank_setpoint")).toBe(60);
    expect(value("house/water_heater")).toBe(true);
    expect(value("house/room_temperature") as number).toBeCloseTo(house.roomTemperatureC, 3);
    expect(value("cell/conveyor_speed")).toBe(500);
    expect(value("cell/m2_cycle_time")).toBe(30);
    expect(value("cell/m1_state")).toBe(0);
  });

  it("sheds load through the actuation path and the meter shows it", async () => {
    const before = (loads.model as BuildingLoadsModel).state().siteKw;
    expect(await gateway.actuate(operator, "house/ev_current", 6, "test")).toMatchObject({ ok: true });
    expect(await gateway.actuate(operator, "house/hvac", false, "test")).toMatchObject({ ok: true });
    const shed = before - (loads.model as BuildingLoadsModel).state().siteKw;
    expect(shed).toBeCloseTo(26 * 0.23 + 3.2, 3);
    await waitFor(() => Math.abs((value("house/site_power") as number) - (before - shed)) < 0.01, { what: "meter after shed" });
    expect(await gateway.actuate(operator, "house/ev_current", 40, "test")).toMatchObject({ ok: false, code: "LOS_E_WRITE_OUT_OF_RANGE" });
  });

  it("drives the cell: release, carry, load, start; a command against the rules is refused by the device", async () => {
    const m = cell.model as FactoryCellModel;
    expect(await gateway.actuate(operator, "cell/m1_start", true, "test")).toMatchObject({ ok: false });
    expect(await gateway.actuate(operator, "cell/infeed_release", true, "test")).toMatchObject({ ok: true });
    expect(await gateway.actuate(operator, "cell/conveyor_target", 3, "test")).toMatchObject({ ok: true });
    expect(await gateway.actuate(operator, "cell/conveyor_motor", true, "test")).toMatchObject({ ok: true });
    cell.step(10_000);
    await waitFor(() => value("cell/part_at_m3") === true && value("cell/conveyor_motor") === false, { what: "part at station 3" });
    expect(await gateway.actuate(operator, "cell/m3_load", true, "test")).toMatchObject({ ok: true });
    expect(await gateway.actuate(operator, "cell/m3_start", true, "test")).toMatchObject({ ok: true });
    cell.step(25_000);
    await waitFor(() => value("cell/m3_done") === 1, { what: "machine 3 done" });
    expect(m.state().machines[2]).toMatchObject({ state: "idle", done: 1 });
    expect(m.state().refused).toBe(1);
  });
});
