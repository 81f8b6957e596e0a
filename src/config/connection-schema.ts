/**
 * How the gateway reaches a device. Devices that share a connection key (the same TCP peer, the
 * same serial port) share one driver and one request queue.
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
    path: Type.String({ minLength: 1, description: "serial port, e.g. /dev/ttyUSB0" }),
    baudRate: Type.Optional(Type.Integer({ minimum: 300, maximum: 921_600 })),
    parity: Type.Optional(Type.Union([Type.Literal("none"), Type.Literal("even"), Type.Literal("odd")])),
    dataBits: Type.Optional(Type.Union([Type.Literal(7), Type.Literal(8)])),
    stopBits: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2)])),
    unitId: Type.Integer({ minimum: 1, maximum: 247 }),
    ...Timing,
  },
  { additionalProperties: false },
);

export const Connection = Type.Union([ModbusTcpConnection, ModbusRtuConnection]);

export type ModbusTcpConnection = Static<typeof ModbusTcpConnection>;
export type ModbusRtuConnection = Static<typeof ModbusRtuConnection>;
export type Connection = Static<typeof Connection>;

/** Devices with the same key share one driver (one socket or one serial bus). */
export function connectionKey(c: Connection): string {
  return c.type === "modbus-tcp" ? `tcp://${c.host}:${c.port}` : `rtu://${c.path}`;
}
