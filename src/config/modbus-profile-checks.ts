/**
 * What the Modbus profile schema cannot say: types that do not fit the register kind, addresses that
 * overlap or run off the end of the map, writes to read-only kinds.
 */
import type { DataType, ModbusPointDef } from "./modbus-profile-schema.js";
import { REGISTER_WORDS } from "./register-words.js";
import type { SchemaProblem } from "./validate.js";

const isBitKind = (p: ModbusPointDef) => p.register === "coil" || p.register === "discrete";

/** The data type a point has once defaults apply: bool for bit kinds, uint16 for registers. */
export function effectiveType(p: ModbusPointDef): DataType {
  return p.type ?? (isBitKind(p) || p.bit !== undefined ? "bool" : "uint16");
}

/** How many addresses (bits or registers) a point occupies. */
export function pointWidth(p: ModbusPointDef): number {
  return isBitKind(p) ? 1 : REGISTER_WORDS[effectiveType(p)];
}

function checkPoint(p: ModbusPointDef, i: number, problems: SchemaProblem[]): void {
  const at = (key: string, message: string) => problems.push({ path: ["points", i, key], message });
  const type = effectiveType(p);
  if (isBitKind(p) && type !== "bool") at("type", `a ${p.register} holds one bit: type must be bool, got ${type}`);
  if (isBitKind(p) && p.bit !== undefined) at("bit", `bit fields apply to registers, not to a ${p.register}`);
  if (!isBitKind(p) && type === "bool" && p.bit === undefined) at("bit", "a bool on a register needs `bit` (0-15)");
  if (p.bit !== undefined && type !== "bool") at("type", "a bit field must have type bool");
  if (p.address + pointWidth(p) > 65536) at("address", `${p.address} + ${pointWidth(p)} registers runs past 65535`);
  if (p.writable && (p.register === "discrete" || p.register === "input")) {
    at("writable", `a ${p.register} is read-only in Modbus`);
  }
  if (p.writable && p.bit !== undefined) at("writable", "writable bit fields are not supported; map the whole register");
  if (p.scale === 0) at("scale", "scale 0 would make every value the same");
}

function checkOverlaps(points: readonly ModbusPointDef[], problems: SchemaProblem[]): void {
  const taken = new Map<string, { index: number; bit?: number }[]>();
  points.forEach((p, i) => {
    for (let a = p.address; a < p.address + pointWidth(p); a++) {
      const key = `${p.register}:${a}`;
      const users = taken.get(key) ?? [];
      for (const u of users) {
        const other = points[u.index]!;
        const bothBits = p.bit !== undefined && u.bit !== undefined;
        const oneBit = (p.bit !== undefined) !== (u.bit !== undefined);
        // A bit field may share a register with the whole-register point it is part of.
        if (oneBit || (bothBits && p.bit !== u.bit)) continue;
        problems.push({
          path: ["points", i, "address"],
          message: `${p.register} ${a} is also used by point "${other.name}"`,
        });
        return;
      }
      users.push(p.bit === undefined ? { index: i } : { index: i, bit: p.bit });
      taken.set(key, users);
    }
  });
}

export function checkModbusPoints(points: readonly ModbusPointDef[]): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  points.forEach((p, i) => checkPoint(p, i, problems));
  checkOverlaps(points, problems);
  return problems;
}
