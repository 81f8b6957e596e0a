/**
 * What every point has whatever the protocol: a name, a unit, report-by-exception and, when it is
 * writable, a safety envelope. Each protocol's profile schema adds how the point is addressed.
 */
import { Type, type Static } from "@sinclair/typebox";

/** A union of string literals that keeps the literal types (`Static` is `T`, not string). */
export const literalUnion = <T extends string>(values: readonly T[], options?: { description?: string }) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  );

export const PointName = Type.String({ pattern: "^[A-Za-z0-9_.-]+$", minLength: 1, maxLength: 64 });

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
    safeValue: Type.Optional(
      Type.Union([Type.Number(), Type.Boolean(), Type.String()], { description: "value written when the owner dies or on shutdown" }),
    ),
    interlocks: Type.Optional(Type.Array(Interlock)),
  },
  { additionalProperties: false },
);

/** Spread into each protocol's point object. */
export const CommonPointFields = {
  name: PointName,
  description: Type.Optional(Type.String()),
  unit: Type.Optional(Type.String({ description: "engineering unit, e.g. degC, %RH, kWh; '' for dimensionless" })),
  writable: Type.Optional(Type.Boolean()),
  deadband: Type.Optional(Type.Number({ minimum: 0, description: "report by exception: publish only changes larger than this" })),
  envelope: Type.Optional(Envelope),
};

/** The value a point carries once decoded, whatever the wire type. */
export type ValueKind = "bool" | "number" | "string";

export type Interlock = Static<typeof Interlock>;
export type Envelope = Static<typeof Envelope>;
