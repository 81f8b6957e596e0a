/**
 * Tenants and agent manifests in the loader: device owners, MQTT user names, tenant points and
 * topics, isolation against policy, capabilities across tenants, subscribe filters and quotas.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfigValue } from "../../src/config/load.js";
import { resolveManifest } from "../../src/config/agent-manifest.js";
import { catchLos, PROFILES, tempDir } from "./helpers.js";

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

const device = (id: string, tenant?: string, port = 1502) => ({
  id,
  ...(tenant ? { tenant } : {}),
  profile: "acme/climate",
  connection: { type: "modbus-tcp", host: "127.0.0.1", port, unitId: 1 },
});
const band = { kind: "band", point: "d1/temperature", low: 18, high: 22, heat: "d1/heater" };

function config(extra: Record<string, unknown>) {
  return {
    site: "s1",
    gateway: "g1",
    dataDir: "./data",
    profilesDir: PROFILES,
    bus: { listeners: [{ kind: "tcp", host: "127.0.0.1", port: 0 }] },
    devices: [device("d1", "A", 1502), device("d2", "B", 1503), device("shared", undefined, 1504)],
    ...extra,
  };
}

function problems(extra: Record<string, unknown>): { path: string; message: string }[] {
  const err = catchLos(() => loadConfigValue(config(extra), dir));
  expect(err.code).toBe("LOS_E_CONFIG_INVALID");
  return err.details.problems as { path: string; message: string }[];
}

describe("tenants in the config", () => {
  it("tenants[].devices sets the owner; a device claimed twice or by an unknown id is refused", () => {
    const loaded = loadConfigValue(config({ tenants: [{ id: "A" }, { id: "B", devices: ["shared"] }] }), dir);
    expect(loaded.devices.find((d) => d.id === "shared")?.tenant).toBe("B");
    const p = problems({ tenants: [{ id: "A", devices: ["d2", "nope"] }, { id: "B" }] });
    expect(p).toEqual(
      expect.arrayContaining([
        { path: "tenants[0].devices[0]", message: 'device "d2" already belongs to tenant "B"' },
        { path: "tenants[0].devices[1]", message: 'no device "nope" is configured' },
      ]),
    );
  });

  it("MQTT user names are unique across bus.users, tenant users and external agents", () => {
    const p = problems({
      bus: { listeners: [{ kind: "tcp", host: "127.0.0.1", port: 0 }], users: [{ username: "ops", passwordEnv: "OPS", role: "admin" }] },
      tenants: [{ id: "A", users: [{ username: "ops", passwordEnv: "A_OPS" }, { username: "ext", passwordEnv: "A_EXT" }] }, { id: "B" }],
      agents: [{ id: "ext", tenant: "A", isolation: "external", capabilities: { read: ["d1/*"] } }],
    });
    expect(p.map((x) => x.path)).toEqual(expect.arrayContaining(["tenants[0].users[0].username", "agents[0].id"]));
  });

  it("tenant points may name unowned devices only; topics must be relative filters", () => {
    const ok = loadConfigValue(config({ tenants: [{ id: "A", points: ["shared/temperature"], topics: ["shared/weather/#", "+/public"] }, { id: "B" }] }), dir);
    expect(ok.config.tenants?.[0]?.points).toEqual(["shared/temperature"]);
    const p = problems({ tenants: [{ id: "A", points: ["d2/temperature", "ghost/x"], topics: ["/abs", "a/#/b", "a+/b", "$SYS/#"] }, { id: "B" }] });
    expect(p.map((x) => x.path)).toEqual(
      expect.arrayContaining(["tenants[0].points[0]", "tenants[0].points[1]", "tenants[0].topics[0]", "tenants[0].topics[1]", "tenants[0].topics[2]", "tenants[0].topics[3]"]),
    );
    expect(p.find((x) => x.path === "tenants[0].points[0]")?.message).toBe('device "d2" belongs to tenant "B"');
  });
});

describe("agent manifests", () => {
  it("defaults: a tenant's module runs in a worker, data policies in-process, no policy external", () => {
    const cfg = (a: Record<string, unknown>) => ({ id: "x", capabilities: {}, ...a });
    expect(resolveManifest(cfg({ tenant: "A", policy: { kind: "module", file: "./a.js" } }) as never).isolation).toBe("worker");
    expect(resolveManifest(cfg({ policy: { kind: "module", file: "./a.js" } }) as never).isolation).toBe("in-process");
    expect(resolveManifest(cfg({ tenant: "A", policy: band }) as never).isolation).toBe("in-process");
    const ext = resolveManifest(cfg({ heartbeatMs: 200 }) as never);
    expect([ext.isolation, ext.watchdogMs, ext.limits.heapMB, ext.restart.strategy]).toEqual(["external", 600, 64, "permanent"]);
  });

  it("isolation must fit the policy; passwordEnv and container options only where they apply", () => {
    const p = problems({
      tenants: [{ id: "A" }, { id: "B" }],
      agents: [
        { id: "a1", tenant: "A", isolation: "worker", capabilities: {} },
        { id: "a2", tenant: "A", isolation: "external", capabilities: { read: ["d1/*"] }, policy: band },
        { id: "a3", tenant: "A", isolation: "worker", passwordEnv: "X", capabilities: { read: ["d1/*"], write: ["d1/heater"] }, policy: band },
        { id: "a4", tenant: "A", isolation: "process", container: { image: "x" }, capabilities: { read: ["d1/*"], write: ["d1/heater"] }, policy: band },
      ],
    });
    expect(p.map((x) => x.path)).toEqual(expect.arrayContaining(["agents[0].policy", "agents[1].policy", "agents[2].passwordEnv", "agents[3].container"]));
  });

  it("a tenant's agent may not name another tenant's device; subscribe filters stay inside its tenant's topics", () => {
    const p = problems({
      tenants: [{ id: "A", topics: ["shared/weather/#"] }, { id: "B" }],
      agents: [
        {
          id: "a1",
          tenant: "A",
          isolation: "external",
          capabilities: { read: ["d2/temperature"], write: ["d2/heater"], subscribe: ["shared/weather/+/temp", "tenants/A/#", "tenants/B/#", "devices/+/state"] },
        },
      ],
    });
    expect(p).toEqual(
      expect.arrayContaining([
        { path: "agents[0].capabilities.read[0]", message: 'device "d2" belongs to tenant "B", not "A"' },
        { path: "agents[0].capabilities.write[0]", message: 'device "d2" belongs to tenant "B", not "A"' },
        expect.objectContaining({ path: "agents[0].capabilities.subscribe[2]" }),
        expect.objectContaining({ path: "agents[0].capabilities.subscribe[3]" }),
      ]),
    );
    expect(p.filter((x) => x.path.startsWith("agents[0].capabilities.subscribe")).map((x) => x.path)).toHaveLength(2);
  });

  it("the agents of a tenant must fit its quotas", () => {
    const agent = (id: string, limits: Record<string, unknown>) => ({
      id,
      tenant: "A",
      isolation: "worker",
      limits,
      capabilities: { read: ["d1/*"], write: ["d1/heater"] },
      policy: band,
    });
    const p = problems({
      tenants: [{ id: "A", quotas: { maxAgents: 1, heapMB: 100, cpuPercent: 50, messagesPerSecond: 150, actuationsPerMinute: 100 } }, { id: "B" }],
      agents: [agent("a1", { heapMB: 64, cpuPercent: 40 }), agent("a2", { heapMB: 64 })],
    });
    const quota = p.filter((x) => x.path.startsWith("tenants[0].quotas"));
    expect(quota.map((x) => x.path).sort()).toEqual(
      ["tenants[0].quotas.actuationsPerMinute", "tenants[0].quotas.cpuPercent", "tenants[0].quotas.heapMB", "tenants[0].quotas.maxAgents", "tenants[0].quotas.messagesPerSecond"].sort(),
    );
    expect(quota.find((x) => x.path === "tenants[0].quotas.heapMB")?.message).toBe("tenant quota exceeded: its agents need 128 MB, the quota is 100 MB");
  });
});
