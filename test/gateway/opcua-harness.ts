/**
 * Shared by the OPC-UA gateway tests: a gateway config with OPC-UA devices built in code, test
 * profiles written as YAML into the data dir, and the OPC-UA simulator on loopback.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { loadConfigValue } from "../../src/config/load.js";
import { buildGateway, type Gateway, type GatewayOptions } from "../../src/gateway.js";
import { TEST_SCRYPT } from "./helpers.js";

export interface OpcuaTestDevice {
  id: string;
  /** `<vendor>/<model>` of a shipped profile, or a profile object written to the data dir */
  profile: string | Record<string, unknown>;
  connection: Record<string, unknown>;
}

/** A profile object for `OpcuaTestDevice.profile`: vendor test, the given points. */
export function testProfile(model: string, points: Record<string, unknown>[], defaults: Record<string, unknown> = {}): Record<string, unknown> {
  return { vendor: "test", model, protocol: "opcua", source: "test fixture", defaults: { publishingMs: 50, samplingMs: 0, ...defaults }, points };
}

/** An OPC-UA connection for tests: quick timeouts and reconnects. */
export function opcuaConnection(endpoint: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: "opcua", endpoint, securityMode: "None", timeoutMs: 1000, reconnectMinMs: 50, reconnectMaxMs: 300, ...extra };
}

export async function startOpcuaGateway(dataDir: string, devices: OpcuaTestDevice[], options: GatewayOptions = {}): Promise<Gateway> {
  const config = {
    site: "test-site",
    gateway: "gw1",
    dataDir,
    bus: { listeners: [{ kind: "tcp", host: "127.0.0.1", port: 0, allowAnonymous: true }] },
    history: { flushMs: 50 },
    devices: devices.map((d) => {
      let profile = d.profile;
      if (typeof profile !== "string") {
        const file = join(dataDir, `${d.id}-profile.yaml`);
        writeFileSync(file, stringify(profile));
        profile = file;
      }
      return { id: d.id, profile, connection: d.connection };
    }),
  };
  return buildGateway(loadConfigValue(config, dataDir), { scrypt: TEST_SCRYPT, ...options });
}
