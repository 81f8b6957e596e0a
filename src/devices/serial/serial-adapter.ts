/** Serial as a protocol plug-in: one SerialChannel per port (serial-channel.ts). */
import { LosError } from "../../core/errors.js";
import type { Connection, SerialConnection } from "../../config/connection-schema.js";
import type { ProtocolAdapter } from "../protocol.js";
import { SerialChannel } from "./serial-channel.js";

function serialConnection(c: Connection): SerialConnection {
  if (c.type !== "serial") throw new LosError("LOS_E_CONFIG_INVALID", `a ${c.type} connection cannot carry a serial profile`);
  return c;
}

export const serialAdapter: ProtocolAdapter = {
  protocol: "serial",
  createChannel: (connection, context) => new SerialChannel(serialConnection(connection), context),
};
