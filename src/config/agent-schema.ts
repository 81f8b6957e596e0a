/**
 * Agents declared in the gateway config: identity, tenant, capabilities and a decision policy.
 * Policies are data (a band controller, a rule list) or code (a module exporting an agent).
 */
import { Type, type Static } from "@sinclair/typebox";

const Id = Type.String({ pattern: "^[A-Za-z0-9_-]+$", minLength: 1, maxLength: 64 });
const PointPattern = Type.String({
  minLength: 1,
  description: "point id `<device>/<point>`; `*` matches one segment, e.g. `gh1/*`",
});

export const Capabilities = Type.Object(
  {
    read: Type.Optional(Type.Array(PointPattern, { description: "points the agent perceives" })),
    write: Type.Optional(Type.Array(PointPattern, { description: "points the agent may actuate" })),
    publish: Type.Optional(Type.Array(Type.String(), { description: "sub-topics under the agent's own out/ prefix" })),
  },
  { additionalProperties: false },
);

export const BandPolicy = Type.Object(
  {
    kind: Type.Literal("band"),
    point: Type.String({ description: "the measured point to keep inside [low, high]" }),
    low: Type.Number(),
    high: Type.Number(),
    heat: Type.Optional(Type.String({ description: "bool actuator switched on below low, off above the middle" })),
    cool: Type.Optional(Type.String({ description: "bool actuator switched on above high, off below the middle" })),
  },
  { additionalProperties: false },
);

export const Rule = Type.Object(
  {
    when: Type.String({ minLength: 1, description: "e.g. `gh1/temperature > 28 and gh1/door == false`" }),
    then: Type.Record(Type.String(), Type.Union([Type.Number(), Type.Boolean()]), {
      description: "point id → value to actuate when the condition becomes true",
    }),
    reason: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const RulesPolicy = Type.Object(
  {
    kind: Type.Literal("rules"),
    rules: Type.Array(Rule, { minItems: 1 }),
  },
  { additionalProperties: false },
);

export const ModulePolicy = Type.Object(
  {
    kind: Type.Literal("module"),
    file: Type.String({ description: "a .ts/.js module exporting `createAgent(id)` returning an Agent; relative to the config" }),
    options: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);

export const AgentPolicy = Type.Union([BandPolicy, RulesPolicy, ModulePolicy]);

export const AgentConfig = Type.Object(
  {
    id: Id,
    tenant: Type.Optional(Id),
    description: Type.Optional(Type.String()),
    capabilities: Capabilities,
    everyMs: Type.Optional(Type.Integer({ minimum: 10, description: "also decide on this timer, not only on readings" })),
    policy: AgentPolicy,
  },
  { additionalProperties: false },
);

export type Capabilities = Static<typeof Capabilities>;
export type BandPolicy = Static<typeof BandPolicy>;
export type Rule = Static<typeof Rule>;
export type RulesPolicy = Static<typeof RulesPolicy>;
export type ModulePolicy = Static<typeof ModulePolicy>;
export type AgentPolicy = Static<typeof AgentPolicy>;
export type AgentConfig = Static<typeof AgentConfig>;
