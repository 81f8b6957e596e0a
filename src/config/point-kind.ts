/** The kind of value a point of any protocol carries: what writes must supply and the envelope checks. */
import { effectiveType } from "./modbus-profile-checks.js";
import type { PointDef, ValueKind } from "./profile-schema.js";

export function valueKind(p: PointDef): ValueKind {
  if ("register" in p) return effectiveType(p) === "bool" ? "bool" : "number";
  if ("nodeId" in p) return p.type === "Boolean" ? "bool" : p.type === "String" ? "string" : "number";
  return p.type === "bool" ? "bool" : p.type === "string" ? "string" : "number";
}
