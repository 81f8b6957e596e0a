/**
 * The water tank's node map: one variable per reading or command under the object `Tank`.
 * Sensors serve `model.readings()` (with sensor noise); the valve, pump command and overheat limit
 * are writable and reach the model at once. Out-of-range writes answer BadOutOfRange.
 */
import { StatusCodes, standardUnits } from "node-opcua";
import type { WaterTankModel } from "../models/water-tank.js";
import type { NodeSpec, OpcuaScalar } from "./node-table.js";

/** The rows of the node map (also in docs/simulators.md). */
export const WATER_TANK_NODES = [
  "Tank.Level",
  "Tank.LevelPercent",
  "Tank.InletValve",
  "Tank.PumpCommand",
  "Tank.PumpRunning",
  "Tank.PumpTripped",
  "Tank.OutletPressure",
  "Tank.PumpMotorTemperature",
  "Tank.PumpOverheatAlarm",
  "Tank.OverheatLimit",
  "Tank.InflowRate",
  "Tank.OutflowRate",
  "Tank.PumpStarts",
  "Tank.PumpRunTime",
  "Tank.Mode",
] as const;

export function waterTankNodes(tank: WaterTankModel): NodeSpec[] {
  const r = () => tank.readings();
  return [
    { id: "s=Tank.Level", dataType: "Double", unit: standardUnits.metre, range: { low: 0, high: 4 }, description: "water level", read: () => r().levelM },
    { id: "s=Tank.LevelPercent", dataType: "Float", unit: standardUnits.percent, range: { low: 0, high: 100 }, read: () => r().levelPct },
    {
      id: "s=Tank.InletValve",
      dataType: "Double",
      unit: standardUnits.percent,
      range: { low: 0, high: 100 },
      description: "inlet valve opening, writable 0..100",
      read: () => tank.state().valvePct,
      write: (v) => guarded(v, 0, 100, (x) => tank.setValve(x)),
    },
    {
      id: "s=Tank.PumpCommand",
      dataType: "Boolean",
      description: "pump start (true) / stop (false); stop resets a trip once the motor has cooled",
      read: () => tank.state().pumpCommand,
      write: (v) => {
        tank.setPumpCommand(v === true);
        return StatusCodes.Good;
      },
    },
    { id: "s=Tank.PumpRunning", dataType: "Boolean", read: () => r().pumpRunning },
    { id: "s=Tank.PumpTripped", dataType: "Boolean", description: "motor protection tripped (latched)", read: () => r().pumpTripped },
    { id: "s=Tank.OutletPressure", dataType: "Double", unit: standardUnits.bar, range: { low: 0, high: 6 }, read: () => r().outletPressureBar },
    {
      id: "s=Tank.PumpMotorTemperature",
      dataType: "Float",
      unit: standardUnits.degree_celsius,
      range: { low: 0, high: 150 },
      read: () => r().motorTempC,
    },
    { id: "s=Tank.PumpOverheatAlarm", dataType: "Boolean", read: () => r().overheatAlarm },
    {
      id: "s=Tank.OverheatLimit",
      dataType: "Float",
      unit: standardUnits.degree_celsius,
      range: { low: 0, high: 200 },
      description: "overheat alarm limit, writable 0..200; the alarm clears 10 K below",
      read: () => tank.state().overheatLimitC,
      write: (v) => guarded(v, 0, 200, (x) => tank.setOverheatLimit(x)),
    },
    { id: "s=Tank.InflowRate", dataType: "Double", unit: standardUnits.cubic_metre_per_hour, range: { low: 0, high: 36 }, read: () => r().inflowM3h },
    { id: "s=Tank.OutflowRate", dataType: "Double", unit: standardUnits.cubic_metre_per_hour, range: { low: 0, high: 36 }, read: () => r().outflowM3h },
    { id: "s=Tank.PumpStarts", dataType: "UInt16", description: "pump starts since power-on (wraps at 65536)", read: () => r().pumpStarts % 65536 },
    { id: "s=Tank.PumpRunTime", dataType: "Int32", unit: standardUnits.second, description: "pump running time", read: () => r().pumpRunSeconds },
    { id: "s=Tank.Mode", dataType: "String", description: "filling, draining, steady or tripped", read: () => r().mode },
  ];
}

function guarded(v: OpcuaScalar, lo: number, hi: number, apply: (x: number) => void) {
  if (typeof v !== "number" || !(v >= lo && v <= hi)) return StatusCodes.BadOutOfRange;
  apply(v);
  return StatusCodes.Good;
}
