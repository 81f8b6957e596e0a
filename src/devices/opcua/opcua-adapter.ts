/**
 * OPC-UA as a protocol plug-in: one session link (client + session, reconnecting) per endpoint,
 * one OpcuaDevice per device on it, each with its own subscription.
 */
import { LosError } from "../../core/errors.js";
import type { Connection, OpcuaConnection } from "../../config/connection-schema.js";
import type { AttachedDevice, DeviceChannel, DeviceSink, ProtocolAdapter, ProtocolContext, ResolvedDevice } from "../protocol.js";
import { OpcuaDevice } from "./opcua-device.js";
import { resolveIdentity } from "./opcua-identity.js";
import { OpcuaSessionLink } from "./opcua-session-link.js";

function opcuaConnection(c: Connection): OpcuaConnection {
  if (c.type !== "opcua") throw new LosError("LOS_E_CONFIG_INVALID", `a ${c.type} connection cannot carry OPC-UA`);
  return c;
}

class OpcuaChannel implements DeviceChannel {
  readonly key: string;
  readonly #link: OpcuaSessionLink;
  readonly #context: ProtocolContext;

  constructor(connection: OpcuaConnection, context: ProtocolContext) {
    this.#context = context;
    this.key = connection.endpoint;
    const identity = resolveIdentity(connection, { env: context.env, ...(context.dataDir ? { dataDir: context.dataDir } : {}) });
    this.#link = new OpcuaSessionLink({
      connection,
      identity,
      clock: context.clock,
      logger: context.logger.child({ endpoint: connection.endpoint }),
      random: context.random,
      ...(context.dataDir ? { dataDir: context.dataDir } : {}),
    });
  }

  attach(device: ResolvedDevice, sink: DeviceSink): AttachedDevice {
    if (device.profile.protocol !== "opcua") {
      throw new LosError("LOS_E_CONFIG_INVALID", `device ${device.id}: a ${device.profile.protocol} profile on an OPC-UA connection`);
    }
    const c = this.#context;
    return new OpcuaDevice({
      deviceId: device.id,
      profile: device.profile,
      link: this.#link,
      sink,
      clock: c.clock,
      logger: c.logger,
      ...(c.failuresBeforeUnavailable !== undefined ? { failuresBeforeUnavailable: c.failuresBeforeUnavailable } : {}),
    });
  }

  open(signal: AbortSignal): Promise<void> {
    return this.#link.open(signal);
  }

  close(): Promise<void> {
    return this.#link.close();
  }

  health() {
    return this.#link.health();
  }
}

export const opcuaAdapter: ProtocolAdapter = {
  protocol: "opcua",
  createChannel: (connection, context) => new OpcuaChannel(opcuaConnection(connection), context),
};
