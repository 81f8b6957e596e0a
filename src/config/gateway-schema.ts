/**
 * The gateway config: one YAML file per gateway. Validated at start; also published as JSON Schema
 * (schema/gateway.schema.json) so editors complete and check it.
 */
import { Type, type Static } from "@sinclair/typebox";
import { Connection } from "./connection-schema.js";
import { AgentConfig } from "./agent-schema.js";
import { Tenant } from "./tenant-schema.js";
import { SandboxConfig } from "./sandbox-schema.js";
import { CoordinationConfig } from "./coordination-schema.js";
import { TasksConfig } from "./tasks-schema.js";

const Id = Type.String({ pattern: "^[A-Za-z0-9_-]+$", minLength: 1, maxLength: 64, description: "letters, digits, _ and -" });

export const Listener = Type.Object(
  {
    kind: Type.Union([Type.Literal("tcp"), Type.Literal("ws")]),
    host: Type.String({ minLength: 1, description: "address to bind, e.g. 0.0.0.0 or 127.0.0.1" }),
    port: Type.Integer({ minimum: 0, maximum: 65535, description: "0 lets the OS choose" }),
    allowAnonymous: Type.Optional(
      Type.Boolean({ description: "accept clients without credentials; only allowed on a loopback host" }),
    ),
  },
  { additionalProperties: false },
);

export const BusUser = Type.Object(
  {
    username: Id,
    passwordEnv: Type.String({ pattern: "^[A-Z_][A-Z0-9_]*$", description: "environment variable holding the password" }),
    role: Type.Union([Type.Literal("admin"), Type.Literal("tenant"), Type.Literal("readonly")]),
    tenant: Type.Optional(Id),
  },
  { additionalProperties: false },
);

export const BusConfig = Type.Object(
  {
    listeners: Type.Array(Listener, { minItems: 1 }),
    users: Type.Optional(Type.Array(BusUser)),
    limits: Type.Optional(
      Type.Object(
        {
          maxPayloadBytes: Type.Optional(Type.Integer({ minimum: 64, maximum: 268_435_455 })),
          maxTopicDepth: Type.Optional(Type.Integer({ minimum: 2, maximum: 64 })),
          maxTopicLength: Type.Optional(Type.Integer({ minimum: 16, maximum: 65_535 })),
          messagesPerSecond: Type.Optional(
            Type.Number({ exclusiveMinimum: 0, description: "PUBLISH rate of each client without a tenant quota or agent limit (default: no limit)" }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const HistoryConfig = Type.Object(
  {
    flushMs: Type.Optional(Type.Integer({ minimum: 10, maximum: 60_000 })),
    flushRows: Type.Optional(Type.Integer({ minimum: 1 })),
    maxAgeDays: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: "delete samples older than this" })),
    maxSizeMB: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: "keep history.db under this size" })),
  },
  { additionalProperties: false },
);

export const DeviceConfig = Type.Object(
  {
    id: Id,
    tenant: Type.Optional(Id),
    name: Type.Optional(Type.String()),
    profile: Type.String({ minLength: 1, description: "<vendor>/<model> under devices/, or a path to a profile file" }),
    connection: Connection,
    pollMs: Type.Optional(Type.Integer({ minimum: 10, description: "overrides the profile's default poll interval" })),
  },
  { additionalProperties: false },
);

export const GatewayConfig = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    site: Id,
    gateway: Id,
    dataDir: Type.String({ minLength: 1, description: "state, history and credentials; relative to the config file" }),
    profilesDir: Type.Optional(Type.String({ description: "extra directory searched for profiles before the built-in devices/" })),
    log: Type.Optional(
      Type.Object(
        {
          level: Type.Optional(
            Type.Union([Type.Literal("debug"), Type.Literal("info"), Type.Literal("warn"), Type.Literal("error")]),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    bus: BusConfig,
    history: Type.Optional(HistoryConfig),
    safeOnShutdown: Type.Optional(
      Type.Boolean({ description: "write each actuator's safe value when the gateway stops (default true)" }),
    ),
    tenants: Type.Optional(Type.Array(Tenant)),
    devices: Type.Array(DeviceConfig),
    agents: Type.Optional(Type.Array(AgentConfig)),
    sandbox: Type.Optional(SandboxConfig),
    tasks: Type.Optional(TasksConfig),
    coordination: Type.Optional(CoordinationConfig),
  },
  { additionalProperties: false },
);

export type Listener = Static<typeof Listener>;
export type BusUser = Static<typeof BusUser>;
export type BusConfig = Static<typeof BusConfig>;
export type HistoryConfig = Static<typeof HistoryConfig>;
export type DeviceConfig = Static<typeof DeviceConfig>;
export type GatewayConfig = Static<typeof GatewayConfig>;
