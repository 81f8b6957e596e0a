/**
 * OPC-UA as a protocol plug-in: one session link (client + session, reconnecting) per endpoint,
 * one OpcuaDevice per device on it, each with its own subscription.
 */
import { LosError } from "../../core/errors.js";
import type { Connection, OpcuaConnection } from "../../config/connection-schema.js";
import type { AttachedDevice, DeviceChannel, DeviceSink, ProtocolAdapter, ProtocolContext, ResolvedDevice } from "../protocol.js";
import { opcuaLogsTo } from "./opcua-client-setup.js";
import { OpcuaDevice } from "./opcua-device.js";
import { resolveIdentity } from "./opcua-identity.js";
import { OpcuaSessionLink } from "./opcua-session-link.js";

function opcuaConnection(c: Connection): OpcuaConnection {
  if (c.type !== "opcua") throw new LosError("LOS_E_CONFIG_INVALID", `a ${c.type} connection cannot carry OPC-UA`);
  return c;
}

/** The connection settings as one comparable string (keys sorted). */
function settings(c: OpcuaConnection): string {
  const sorted = (v: unknown): unknown =>
    v && typeof v === "object" ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sorted(x)])) : v;
  return JSON.stringify(sorted(c));
}

class OpcuaChannel implements DeviceChannel {
  readonly key: string;
  readonly #link: OpcuaSessionLink;
  readonly #context: ProtocolContext;
  readonly #settings: string;

  constructor(connection: OpcuaConnection, context: ProtocolContext) {
    this.#context = context;
    this.key = connection.endpoint;
    this.#settings = settings(connection);
    opcuaLogsTo(context.logger);
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
    // one session per endpoint: a second security or identity on it would be silently ignored
    if (settings(opcuaConnection(device.connection)) !== this.#settings) {
      throw new LosError(
        "LOS_E_CONFIG_INVALID",
        `device ${device.id}: devices on ${this.key} share one OPC-UA session, so their connection settings must be the same; use a different endpoint URL (e.g. with a path) for another identity or security`,
        { details: { device: device.id, endpoint: this.key } },
      );
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
