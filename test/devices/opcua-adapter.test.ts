/**
 * The OPC-UA adapter without a server: channels are built per endpoint, devices on one endpoint must
 * agree on its settings, secrets are checked before anything connects, and an endpoint where
 * nothing listens does not hold up the start (the first attempt settles, retries continue).
 */
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { silentLogger } from "../../src/core/types.js";
import type { OpcuaConnection } from "../../src/config/connection-schema.js";
import type { OpcuaProfile } from "../../src/config/profile-schema.js";
import { createDeviceManager } from "../../src/devices/device-manager.js";
import { opcuaAdapter } from "../../src/devices/opcua/opcua-adapter.js";
import { removeDir, tempDir } from "../gateway/helpers.js";

const profile: OpcuaProfile = {
  vendor: "test",
  model: "one",
  protocol: "opcua",
  source: "test",
  points: [{ name: "level", nodeId: "ns=1;s=Tank.Level", type: "Double", unit: "m" }],
};

function manager(connections: OpcuaConnection[], env: Record<string, string> = {}, dataDir?: string) {
  return createDeviceManager({
    devices: connections.map((connection, i) => ({ id: `d${i}`, profile, connection })),
    adapters: new Map([["opcua", opcuaAdapter]]),
    env,
    ...(dataDir ? { dataDir } : {}),
    clock: new ManualClock(),
    logger: silentLogger,
    onReadings: () => {},
    onStatus: () => {},
  });
}

describe("OPC-UA adapter", () => {
  it("shares one channel per endpoint and refuses different settings on it", () => {
    const a: OpcuaConnection = { type: "opcua", endpoint: "opc.tcp://127.0.0.1:4840", securityMode: "None" };
    expect(manager([a, { ...a }]).devices().map((d) => d.connectionKey)).toEqual([a.endpoint, a.endpoint]);
    expect(manager([a, { ...a, endpoint: `${a.endpoint}/other`, securityMode: "Sign" }]).stats().connections).toBe(2);
    expect(() => manager([a, { ...a, securityMode: "Sign" }])).toThrow(expect.objectContaining({ code: "LOS_E_CONFIG_INVALID", message: expect.stringMatching(/share one OPC-UA session/) }));
  });

  it("a password variable that is not set, or a user certificate that cannot be read, is LOS_E_SECRET_MISSING", () => {
    const endpoint = "opc.tcp://127.0.0.1:4840";
    const user = { type: "username", username: "op", passwordEnv: "PW" } as const;
    expect(() => manager([{ type: "opcua", endpoint, identity: user }])).toThrow(expect.objectContaining({ code: "LOS_E_SECRET_MISSING", message: expect.stringContaining("PW") }));
    expect(() => manager([{ type: "opcua", endpoint, identity: user }], { PW: "x" })).not.toThrow();
    const cert = { type: "certificate", certificateFile: "nope.pem", privateKeyFile: "nope.key" } as const;
    expect(() => manager([{ type: "opcua", endpoint, identity: cert }], {}, "/nonexistent")).toThrow(expect.objectContaining({ code: "LOS_E_SECRET_MISSING" }));
  });

  it("start settles after the first attempt when the endpoint refuses, and reports why", async () => {
    // a port that accepts nothing: bind, then close, so the connect is refused
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    const dataDir = await tempDir("los-opcua-adapter-");
    const m = manager([{ type: "opcua", endpoint: `opc.tcp://127.0.0.1:${port}`, securityMode: "None" }], {}, dataDir);
    try {
      await m.start();
      const h = m.health().d0!;
      expect(h.connected).toBe(false);
      expect(h.lastError?.code).toBe("LOS_E_DEVICE_DISCONNECTED");
      expect(m.stats().failures).toBe(0);
    } finally {
      await m.stop();
      await removeDir(dataDir);
    }
  }, 30_000);
});
