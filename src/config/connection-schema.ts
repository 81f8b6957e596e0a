/**
 * How the gateway reaches a device: Modbus TCP or RTU, an OPC-UA endpoint, or a serial line. Devices
 * that share a connection key (the same TCP peer, serial port or OPC-UA endpoint) share one driver.
 */
import { Type, type Static } from "@sinclair/typebox";

const Timing = {
  timeoutMs: Type.Optional(Type.Integer({ minimum: 10, maximum: 60_000, description: "per-request answer timeout" })),
  interFrameDelayMs: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 10_000, description: "quiet time between two requests on this connection" }),
  ),
  reconnectMinMs: Type.Optional(Type.Integer({ minimum: 10 })),
  reconnectMaxMs: Type.Optional(Type.Integer({ minimum: 10 })),
};

const SerialLine = {
  path: Type.String({ minLength: 1, description: "serial port, e.g. /dev/ttyUSB0" }),
  baudRate: Type.Optional(Type.Integer({ minimum: 300, maximum: 921_600 })),
  parity: Type.Optional(Type.Union([Type.Literal("none"), Type.Literal("even"), Type.Literal("odd")])),
  dataBits: Type.Optional(Type.Union([Type.Literal(7), Type.Literal(8)])),
  stopBits: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2)])),
};

export const ModbusTcpConnection = Type.Object(
  {
    type: Type.Literal("modbus-tcp"),
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    unitId: Type.Integer({ minimum: 0, maximum: 255 }),
    maxInFlight: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 16, description: "requests in flight on this TCP peer (1 for most devices)" }),
    ),
    ...Timing,
  },
  { additionalProperties: false },
);

export const ModbusRtuConnection = Type.Object(
  {
    type: Type.Literal("modbus-rtu"),
    ...SerialLine,
    unitId: Type.Integer({ minimum: 1, maximum: 247 }),
    ...Timing,
  },
  { additionalProperties: false },
);


export const SerialConnection = Type.Object(
  {
    type: Type.Literal("serial"),
    ...SerialLine,
    address: Type.Optional(
      Type.String({ minLength: 1, maxLength: 16, description: "bus address of the device on a shared RS-485 line (command/response profiles)" }),
    ),
    ...Timing,
  },
  { additionalProperties: false },
);

export const OpcuaIdentity = Type.Union([
  Type.Object({ type: Type.Literal("anonymous") }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal("username"),
      username: Type.String({ minLength: 1 }),
      passwordEnv: Type.String({ minLength: 1, description: "environment variable holding the password (secrets stay out of config)" }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal("certificate"),
      certificateFile: Type.String({ minLength: 1, description: "user certificate (PEM or DER), relative to the data dir" }),
      privateKeyFile: Type.String({ minLength: 1, description: "its private key (PEM), relative to the data dir" }),
    },
    { additionalProperties: false },
  ),
]);

export const OpcuaConnection = Type.Object(
  {
    type: Type.Literal("opcua"),
    endpoint: Type.String({ pattern: "^opc\\.tcp://", description: "server endpoint, e.g. opc.tcp://plc.local:4840" }),
    securityMode: Type.Optional(
      Type.Union([Type.Literal("None"), Type.Literal("Sign"), Type.Literal("SignAndEncrypt")], { description: "default SignAndEncrypt" }),
    ),
    securityPolicy: Type.Optional(
      Type.Union(
        [Type.Literal("None"), Type.Literal("Basic256Sha256"), Type.Literal("Aes128_Sha256_RsaOaep"), Type.Literal("Aes256_Sha256_RsaPss")],
        { description: "default Basic256Sha256 (None with securityMode None)" },
      ),
    ),
    identity: Type.Optional(OpcuaIdentity),
    sessionTimeoutMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 3_600_000 })),
    ...Timing,
  },
  { additionalProperties: false },
);

export const Connection = Type.Union([ModbusTcpConnection, ModbusRtuConnection, OpcuaConnection, SerialConnection]);

export type ModbusTcpConnection = Static<typeof ModbusTcpConnection>;
export type ModbusRtuConnection = Static<typeof ModbusRtuConnection>;
export type ModbusConnection = ModbusTcpConnection | ModbusRtuConnection;
export type OpcuaIdentity = Static<typeof OpcuaIdentity>;
export type OpcuaConnection = Static<typeof OpcuaConnection>;
export type SerialConnection = Static<typeof SerialConnection>;
export type Connection = Static<typeof Connection>;

export { CONNECTION_PROTOCOL, connectionKey, serialPath } from "./connection-key.js";
