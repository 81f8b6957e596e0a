/**
 * The gateway config's `coordination:` section (docs/coordination.md): which actuators may be
 * written only by the agent holding a lease on them.
 */
import { Type, type Static } from "@sinclair/typebox";

const PointPattern = Type.String({
  pattern: "^[^/\\s]+(/[^/\\s]+)?$",
  minLength: 1,
  description: "<device>/<point>; * as a whole segment matches any (gh1/*, */vent), * alone every point",
});

export const CoordinationConfig = Type.Object(
  {
    requireLease: Type.Optional(
      Type.Array(PointPattern, {
        description: "points written only under a lease: a write by an agent or user without one is refused LOS_E_LEASE_CONFLICT",
      }),
    ),
  },
  { additionalProperties: false },
);

export type CoordinationConfig = Static<typeof CoordinationConfig>;
