/**
 * Which adapter speaks which protocol, loaded on demand: a Modbus-only gateway never loads the
 * OPC-UA stack (tens of MB) or the serial parsers.
 */
import { LosError } from "../core/errors.js";
import type { Protocol } from "../config/profile-schema.js";
import type { ProtocolAdapter } from "./protocol.js";

const LOADERS: Record<Protocol, (() => Promise<ProtocolAdapter>) | undefined> = {
  modbus: async () => (await import("./modbus/modbus-adapter.js")).modbusAdapter,
  opcua: async () => (await import("./opcua/opcua-adapter.js")).opcuaAdapter,
  serial: async () => (await import("./serial/serial-adapter.js")).serialAdapter,
};

export type AdapterSet = ReadonlyMap<Protocol, ProtocolAdapter>;

export async function loadAdapters(protocols: Iterable<Protocol>): Promise<AdapterSet> {
  const out = new Map<Protocol, ProtocolAdapter>();
  for (const protocol of new Set(protocols)) {
    const load = LOADERS[protocol];
    if (!load) throw new LosError("LOS_E_CONFIG_INVALID", `no driver for protocol ${protocol} in this build`, { details: { protocol } });
    out.set(protocol, await load());
  }
  return out;
}
