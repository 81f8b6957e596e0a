/**
 * What the running gateway needs from a connection (which driver, which protocol), kept apart from
 * the TypeBox schema in connection-schema.ts so that the gateway does not load TypeBox: the config is
 * validated before the gateway is built, in a worker that ends (load-in-worker.ts).
 */
import type { Connection } from "./connection-schema.js";

/** The profile protocol each connection type speaks. */
export const CONNECTION_PROTOCOL = {
  "modbus-tcp": "modbus",
  "modbus-rtu": "modbus",
  opcua: "opcua",
  serial: "serial",
} as const satisfies Record<Connection["type"], string>;

/** Devices with the same key share one driver (one socket, one serial bus, one OPC-UA session). */
export function connectionKey(c: Connection): string {
  switch (c.type) {
    case "modbus-tcp":
      return `tcp://${c.host}:${c.port}`;
    case "modbus-rtu":
      return `rtu://${c.path}`;
    case "serial":
      return `serial://${c.path}`;
    case "opcua":
      return c.endpoint;
  }
}

/** The serial port a connection holds, if any: one port serves one protocol at a time. */
export function serialPath(c: Connection): string | undefined {
  return c.type === "modbus-rtu" || c.type === "serial" ? c.path : undefined;
}
