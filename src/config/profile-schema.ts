/**
 * Device profile schema: how a device model maps its registers to named points. Profiles are pure
 * data (YAML under devices/<vendor>/<model>.yaml); this schema is also published as JSON Schema.
 */
import { Type, type Static } from "@sinclair/typebox";

const Name = Type.String({ pattern: "^[A-Za-z0-9_.-]+$", minLength: 1, maxLength: 64 });

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

export const InterlockOp = Type.Union([
  Type.Literal("=="),
  Type.Literal("!="),
  Type.Literal("<"),
  Type.Literal("<="),
  Type.Literal(">"),
  Type.Literal(">="),
]);

export const Interlock = Type.Object(
  {
    point: Type.String({ description: "point id `<device>/<point>`, or a point name on the same device" }),
    op: InterlockOp,
    value: Type.Union([Type.Number(), Type.Boolean()]),
    when: Type.Optional(
      Type.Union([Type.Literal("always"), Type.Literal("nonzero")], {
        description: "always (default): every write requires the condition; nonzero: only writes of a true/non-zero value do",
      }),
    ),
    message: Type.Optional(Type.String()),
  },
  { additionalProperties: false, description: "the write is allowed only while `point op value` holds" },
);

export const Envelope = Type.Object(
  {
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
    maxRatePerSec: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: "max change of the value per second" })),
    safeValue: Type.Optional(Type.Union([Type.Number(), Type.Boolean()], { description: "value written when the owner dies or on shutdown" })),
    interlocks: Type.Optional(Type.Array(Interlock)),
  },
  { additionalProperties: false },
);

export const PointDef = Type.Object(
  {
    name: Name,
    description: Type.Optional(Type.String()),
    register: RegisterKind,
    address: Type.Integer({ minimum: 0, maximum: 65535, description: "0-based protocol address" }),
    type: Type.Optional(DataType),
    byteOrder: Type.Optional(ByteOrder),
    wordOrder: Type.Optional(WordOrder),
    bit: Type.Optional(Type.Integer({ minimum: 0, maximum: 15, description: "bit field inside a 16-bit register (type bool)" })),
    scale: Type.Optional(Type.Number({ description: "engineering = raw * scale + offset" })),
    offset: Type.Optional(Type.Number()),
    unit: Type.Optional(Type.String({ description: "engineering unit, e.g. degC, %RH, kWh; '' for dimensionless" })),
    writable: Type.Optional(Type.Boolean({ description: "only coils and holding registers may be writable" })),
    pollMs: Type.Optional(Type.Integer({ minimum: 10, description: "poll interval; defaults to the profile's" })),
    deadband: Type.Optional(Type.Number({ minimum: 0, description: "report by exception: publish only changes larger than this" })),
    envelope: Type.Optional(Envelope),
  },
  { additionalProperties: false },
);

export const ProfileDefaults = Type.Object(
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

export const DeviceProfile = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    vendor: Type.String({ minLength: 1 }),
    model: Type.String({ minLength: 1 }),
    protocol: Type.Literal("modbus"),
    description: Type.Optional(Type.String()),
    source: Type.String({ minLength: 1, description: "where the register map comes from (datasheet, manual)" }),
    defaults: Type.Optional(ProfileDefaults),
    points: Type.Array(PointDef, { minItems: 1 }),
  },
  { additionalProperties: false },
);

/** How many 16-bit registers a value of each type occupies. */
export const REGISTER_WORDS: Readonly<Record<Static<typeof DataType>, number>> = {
  bool: 1,
  int16: 1,
  uint16: 1,
  int32: 2,
  uint32: 2,
  float32: 2,
  float64: 4,
};

export type RegisterKind = Static<typeof RegisterKind>;
export type DataType = Static<typeof DataType>;
export type Interlock = Static<typeof Interlock>;
export type Envelope = Static<typeof Envelope>;
export type PointDef = Static<typeof PointDef>;
export type DeviceProfile = Static<typeof DeviceProfile>;
