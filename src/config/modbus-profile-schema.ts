/** Modbus profiles: points mapped onto coils, discrete inputs, input and holding registers. */
import { Type, type Static } from "@sinclair/typebox";
import { CommonPointFields } from "./point-schema.js";

export const RegisterKind = Type.Union(
  [Type.Literal("coil"), Type.Literal("discrete"), Type.Literal("input"), Type.Literal("holding")],
  { description: "coil (rw bit), discrete input (ro bit), input register (ro word), holding register (rw word)" },
);

export const DataType = Type.Union(
  [
    Type.Literal("bool"),
    Type.Literal("int16"),
    Type.Literal("uint16"),
    Type.Literal("int32"),
    Type.Literal("uint32"),
    Type.Literal("float32"),
    Type.Literal("float64"),
  ],
  { description: "bool for coils, discrete inputs and bit fields; numeric types for registers" },
);

export const ByteOrder = Type.Union([Type.Literal("big"), Type.Literal("little")], {
  description: "order of the two bytes inside each 16-bit register (Modbus is big-endian)",
});

export const WordOrder = Type.Union([Type.Literal("big"), Type.Literal("little")], {
  description: "order of 16-bit registers in 32/64-bit values: big = most significant register first",
});

export const ModbusPointDef = Type.Object(
  {
    ...CommonPointFields,
    register: RegisterKind,
    address: Type.Integer({ minimum: 0, maximum: 65535, description: "0-based protocol address" }),
    type: Type.Optional(DataType),
    byteOrder: Type.Optional(ByteOrder),
    wordOrder: Type.Optional(WordOrder),
    bit: Type.Optional(Type.Integer({ minimum: 0, maximum: 15, description: "bit field inside a 16-bit register (type bool)" })),
    scale: Type.Optional(Type.Number({ description: "engineering = raw * scale + offset" })),
    offset: Type.Optional(Type.Number()),
    pollMs: Type.Optional(Type.Integer({ minimum: 10, description: "poll interval; defaults to the profile's" })),
  },
  { additionalProperties: false },
);

export const ModbusProfileDefaults = Type.Object(
  {
    pollMs: Type.Optional(Type.Integer({ minimum: 10 })),
    refreshMs: Type.Optional(Type.Integer({ minimum: 100, description: "publish unchanged values at least this often" })),
    byteOrder: Type.Optional(ByteOrder),
    wordOrder: Type.Optional(WordOrder),
    maxGap: Type.Optional(Type.Integer({ minimum: 0, maximum: 100, description: "unused registers allowed inside one merged read" })),
    maxBlock: Type.Optional(Type.Integer({ minimum: 1, maximum: 125, description: "max registers per read request" })),
  },
  { additionalProperties: false },
);

export { REGISTER_WORDS } from "./register-words.js";

export type RegisterKind = Static<typeof RegisterKind>;
export type DataType = Static<typeof DataType>;
export type ModbusPointDef = Static<typeof ModbusPointDef>;
export type ModbusProfileDefaults = Static<typeof ModbusProfileDefaults>;
