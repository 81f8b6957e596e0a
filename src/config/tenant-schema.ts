/**
 * Tenants: the owners of devices and agents and the unit of isolation, quota and access control.
 * A tenant's MQTT users see its own topic subtree (`los/v1/<site>/<gw>/tenants/<id>/#`), its
 * devices and agents, and the extra subtrees it is granted; its agents' limits must fit its quotas.
 */
import { Type, type Static } from "@sinclair/typebox";

const Id = Type.String({ pattern: "^[A-Za-z0-9_-]+$", minLength: 1, maxLength: 64, description: "letters, digits, _ and -" });

export const TenantUser = Type.Object(
  {
    username: Id,
    passwordEnv: Type.String({ pattern: "^[A-Z_][A-Z0-9_]*$", description: "environment variable holding the password" }),
  },
  { additionalProperties: false },
);

export const TenantQuotas = Type.Object(
  {
    maxAgents: Type.Optional(Type.Integer({ minimum: 0, description: "most agents the tenant may declare" })),
    heapMB: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: "sum of its agents' limits.heapMB" })),
    cpuPercent: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 800, description: "sum of its agents' limits.cpuPercent (100 = one core)" })),
    messagesPerSecond: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: "sum of its agents' limits.messagesPerSecond; also each of its MQTT users' publish rate" })),
    actuationsPerMinute: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: "sum of its agents' limits.actuationsPerMinute" })),
  },
  { additionalProperties: false },
);

export const Tenant = Type.Object(
  {
    id: Id,
    name: Type.Optional(Type.String()),
    users: Type.Optional(Type.Array(TenantUser, { description: "MQTT users of this tenant (role tenant)" })),
    devices: Type.Optional(Type.Array(Id, { description: "devices the tenant owns (same as `tenant:` on the device)" })),
    points: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { description: "points of devices nobody owns that the tenant may use, `<device>/<point>` with `*` per segment" }),
    ),
    topics: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description: "extra topic filters under `los/v1/<site>/<gateway>/` its users and agents may use, e.g. `shared/weather/#`",
      }),
    ),
    quotas: Type.Optional(TenantQuotas),
  },
  { additionalProperties: false },
);

export type TenantUser = Static<typeof TenantUser>;
export type TenantQuotas = Static<typeof TenantQuotas>;
export type Tenant = Static<typeof Tenant>;
