/**
 * Device profile schema: how a device model maps its registers, nodes or serial data to named
 * points. Profiles are pure data (YAML under devices/<vendor>/<model>.yaml), tagged by `protocol`;
 * this schema is also published as JSON Schema.
 */
import { Type, type Static, type TProperties } from "@sinclair/typebox";
import { ModbusPointDef, ModbusProfileDefaults } from "./modbus-profile-schema.js";
import { OpcuaPointDef, OpcuaProfileDefaults } from "./opcua-profile-schema.js";
import { SerialFraming, SerialPointDef, SerialProfileDefaults } from "./serial-profile-schema.js";

export * from "./modbus-profile-schema.js";
export * from "./opcua-profile-schema.js";
export * from "./serial-profile-schema.js";
export { Envelope, Interlock, InterlockOp, type ValueKind } from "./point-schema.js";

const header = {
  $schema: Type.Optional(Type.String()),
  vendor: Type.String({ minLength: 1 }),
  model: Type.String({ minLength: 1 }),
  description: Type.Optional(Type.String()),
  source: Type.String({ minLength: 1, description: "where the map comes from (datasheet, manual, with version)" }),
};

const profile = <K extends string, P extends TProperties>(protocol: K, props: P) =>
  Type.Object({ ...header, protocol: Type.Literal(protocol), ...props }, { additionalProperties: false });

export const ModbusProfile = profile("modbus", {
  defaults: Type.Optional(ModbusProfileDefaults),
  points: Type.Array(ModbusPointDef, { minItems: 1 }),
});

export const OpcuaProfile = profile("opcua", {
  defaults: Type.Optional(OpcuaProfileDefaults),
  points: Type.Array(OpcuaPointDef, { minItems: 1 }),
});

export const SerialProfile = profile("serial", {
  framing: SerialFraming,
  defaults: Type.Optional(SerialProfileDefaults),
  points: Type.Array(SerialPointDef, { minItems: 1 }),
});

export const DeviceProfile = Type.Union([ModbusProfile, OpcuaProfile, SerialProfile]);

export type ModbusProfile = Static<typeof ModbusProfile>;
export type OpcuaProfile = Static<typeof OpcuaProfile>;
export type SerialProfile = Static<typeof SerialProfile>;
export type DeviceProfile = Static<typeof DeviceProfile>;
export type Protocol = DeviceProfile["protocol"];
/** A point of any protocol: what the envelope, actuation and state publishing need. */
export type PointDef = DeviceProfile["points"][number];
