/** A gateway config with container agents of every kind, for the spec generator tests. */
import { join } from "node:path";
import { loadConfigValue, type LoadedConfig } from "../../../src/config/load.js";
import { FIXTURES, PROFILES } from "../../config/helpers.js";
import { REPO_ROOT } from "../../gateway/helpers.js";

export const SCHEMAS = join(REPO_ROOT, "test/fixtures/schemas");
export const THRESHOLD_AGENT = join(FIXTURES, "agents/threshold-agent.ts");

export function containerConfigValue(agents?: unknown[]): Record<string, unknown> {
  return {
    site: "farm",
    gateway: "gw-1",
    dataDir: "./data",
    profilesDir: PROFILES,
    bus: {
      listeners: [
        { kind: "tcp", host: "127.0.0.1", port: 1883, allowAnonymous: true },
        { kind: "tcp", host: "10.20.0.5", port: 1884 },
      ],
      users: [{ username: "scada", passwordEnv: "LOS_PW_SCADA", role: "admin" }],
    },
    tenants: [
      { id: "growers", users: [{ username: "grower", passwordEnv: "LOS_PW_GROWER" }], devices: ["gh1", "clim"], quotas: { maxAgents: 5 } },
      { id: "energy", devices: ["other"] },
    ],
    devices: [
      { id: "gh1", profile: "llmagentos/greenhouse-sim", connection: { type: "modbus-tcp", host: "10.20.0.9", port: 502, unitId: 1 } },
      { id: "clim", profile: "acme/climate", connection: { type: "modbus-tcp", host: "10.20.0.9", port: 502, unitId: 2 }, pollMs: 500 },
      { id: "other", profile: "acme/meter", connection: { type: "modbus-tcp", host: "10.20.0.9", port: 502, unitId: 3 } },
      { id: "spare", profile: "acme/climate", connection: { type: "modbus-tcp", host: "10.20.0.9", port: 502, unitId: 4 } },
    ],
    agents: agents ?? [
      {
        id: "Vent_Ctl",
        tenant: "growers",
        isolation: "container",
        capabilities: { read: ["gh1/temperature", "clim/*"], write: ["gh1/vent"] },
        limits: { heapMB: 48, cpuPercent: 25 },
        restart: { strategy: "transient" },
        container: { baseImage: "node:22.12-bookworm-slim" },
        policy: { kind: "module", file: THRESHOLD_AGENT, options: { settings: { point: "gh1/temperature", actuator: "gh1/vent", above: 28 } } },
      },
      {
        id: "py-vent",
        tenant: "growers",
        isolation: "container",
        passwordEnv: "LOS_PW_PY_VENT",
        capabilities: { read: ["gh1/*"], write: ["gh1/vent"] },
        restart: { strategy: "temporary" },
        container: { image: "registry.example/growers/py-vent:1.2" },
      },
      {
        id: "band",
        isolation: "container",
        capabilities: { read: ["gh1/temperature"], write: ["gh1/heater"] },
        policy: { kind: "band", point: "gh1/temperature", low: 18, high: 24, heat: "gh1/heater" },
      },
      {
        id: "worker-agent",
        tenant: "growers",
        capabilities: { read: ["gh1/temperature"] },
        policy: { kind: "module", file: THRESHOLD_AGENT },
      },
    ],
  };
}

export function containerConfig(agents?: unknown[]): LoadedConfig {
  return loadConfigValue(containerConfigValue(agents), REPO_ROOT, "farm.yaml");
}
