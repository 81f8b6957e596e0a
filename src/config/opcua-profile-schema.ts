/**
 * OPC-UA profiles: points mapped onto variable nodes. Subscriptions (monitored items) are preferred
 * to polling; a point may ask to be polled when the server samples badly.
 */
import { Type, type Static } from "@sinclair/typebox";
import { CommonPointFields, literalUnion } from "./point-schema.js";

export const OpcuaDataType = literalUnion(["Boolean", "SByte", "Byte", "Int16", "UInt16", "Int32", "UInt32", "Int64", "UInt64", "Float", "Double", "String"], {
  description: "the node's built-in data type; writes are coerced to it",
});

export const OpcuaMode = Type.Union([Type.Literal("subscribe"), Type.Literal("poll")], {
  description: "subscribe (default): a monitored item reports changes; poll: read every pollMs",
});

export const OpcuaPointDef = Type.Object(
  {
    ...CommonPointFields,
    nodeId: Type.String({
      minLength: 3,
      description: "node id, e.g. `ns=2;s=Tank.Level` or, stable across server restarts, `nsu=urn:vendor:plc;s=Tank.Level`",
    }),
    type: OpcuaDataType,
    mode: Type.Optional(OpcuaMode),
    samplingMs: Type.Optional(Type.Integer({ minimum: 0, description: "server-side sampling interval; 0 = as fast as the server can" })),
    queueSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: "values the server keeps between publishes" })),
    pollMs: Type.Optional(Type.Integer({ minimum: 10, description: "read interval when mode is poll" })),
  },
  { additionalProperties: false },
);

export const OpcuaProfileDefaults = Type.Object(
  {
    mode: Type.Optional(OpcuaMode),
    samplingMs: Type.Optional(Type.Integer({ minimum: 0 })),
    queueSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    publishingMs: Type.Optional(Type.Integer({ minimum: 10, description: "subscription publishing interval" })),
    pollMs: Type.Optional(Type.Integer({ minimum: 10 })),
    refreshMs: Type.Optional(Type.Integer({ minimum: 100, description: "publish unchanged values at least this often" })),
  },
  { additionalProperties: false },
);

export type OpcuaDataType = Static<typeof OpcuaDataType>;
export type OpcuaPointDef = Static<typeof OpcuaPointDef>;
export type OpcuaProfileDefaults = Static<typeof OpcuaProfileDefaults>;
