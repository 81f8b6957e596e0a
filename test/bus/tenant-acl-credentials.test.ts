import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { agentPasswordFile, loginsFromConfig, readAgentPassword } from "../../src/bus/agent-credentials.js";
import { loadOrCreateCredentials } from "../../src/bus/credentials.js";
import type { GatewayConfig } from "../../src/config/gateway-schema.js";
import { isLosError } from "../../src/core/errors.js";
import { TEST_SCRYPT } from "./helpers.js";

const cfg = {
  site: "s1",
  gateway: "gw1",
  dataDir: "data",
  bus: { listeners: [{ kind: "tcp", host: "127.0.0.1", port: 0 }], users: [{ username: "ha", role: "readonly", passwordEnv: "PW_HA" }] },
  tenants: [
    { id: "A", users: [{ username: "alice", passwordEnv: "PW_ALICE" }] },
    { id: "B", users: [{ username: "bob", passwordEnv: "PW_BOB" }] },
  ],
  devices: [],
  agents: [
    { id: "ext1", tenant: "A", capabilities: {} },
    { id: "box1", tenant: "B", isolation: "container", passwordEnv: "PW_BOX1", capabilities: {} },
    { id: "band1", capabilities: {}, policy: { kind: "band", point: "d/t", low: 1, high: 2 } },
  ],
} as unknown as GatewayConfig;
const env = { PW_HA: "ha-pw", PW_ALICE: "alice-pw", PW_BOB: "bob-pw", PW_BOX1: "box-pw" };

describe("tenant and agent credentials", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "los-acl-cred-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("config logins: bus users, tenant users with role tenant, external and container agents", () => {
    const { users, agents } = loginsFromConfig(cfg);
    expect(users).toEqual([
      { username: "ha", role: "readonly", passwordEnv: "PW_HA" },
      { username: "alice", role: "tenant", tenant: "A", passwordEnv: "PW_ALICE" },
      { username: "bob", role: "tenant", tenant: "B", passwordEnv: "PW_BOB" },
    ]);
    expect(agents).toEqual([{ id: "ext1", tenant: "A" }, { id: "box1", tenant: "B", passwordEnv: "PW_BOX1" }]);
  });

  it("tenant users log in with their tenant; agents with role agent and a generated password kept across restarts (0600)", async () => {
    const { users, agents } = loginsFromConfig(cfg);
    const first = await loadOrCreateCredentials(dir, users, { env, agents, scrypt: TEST_SCRYPT });
    expect(await first.store.verify("alice", "alice-pw")).toMatchObject({ role: "tenant", tenant: "A" });
    expect(await first.store.verify("alice", "bob-pw")).toBeUndefined();
    expect(await first.store.verify("box1", "box-pw")).toMatchObject({ role: "agent", tenant: "B" });
    const generated = await readAgentPassword(dir, "ext1");
    expect(generated).toBeDefined();
    expect(generated!.length).toBeGreaterThanOrEqual(24);
    expect((await stat(agentPasswordFile(dir, "ext1"))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, "agents"))).mode & 0o777).toBe(0o700);
    expect(await first.store.verify("ext1", generated!)).toMatchObject({ username: "ext1", role: "agent", tenant: "A" });
    expect(await readAgentPassword(dir, "box1")).toBeUndefined(); // its password comes from the environment
    expect(await readAgentPassword(dir, "band1")).toBeUndefined(); // in-process agents do not log in

    const second = await loadOrCreateCredentials(dir, users, { env, agents, scrypt: TEST_SCRYPT });
    expect((await readFile(agentPasswordFile(dir, "ext1"), "utf8")).trim()).toBe(generated);
    expect(await second.store.verify("ext1", generated!)).toBeDefined();
    expect(await readFile(second.credentialsFile, "utf8")).not.toContain("ext1");
  });

  it("a missing tenant user or agent password variable is LOS_E_SECRET_MISSING before anything is written", async () => {
    const { users, agents } = loginsFromConfig(cfg);
    const noAlice = await loadOrCreateCredentials(dir, users, { env: { ...env, PW_ALICE: "" }, agents, scrypt: TEST_SCRYPT }).catch((e: unknown) => e);
    expect(isLosError(noAlice, "LOS_E_SECRET_MISSING")).toBe(true);
    expect((noAlice as Error).message).toContain("PW_ALICE");
    const noBox = await loadOrCreateCredentials(dir, users, { env: { ...env, PW_BOX1: undefined }, agents, scrypt: TEST_SCRYPT }).catch((e: unknown) => e);
    expect(isLosError(noBox, "LOS_E_SECRET_MISSING")).toBe(true);
    expect((noBox as Error).message).toContain("PW_BOX1");
    expect(await readAgentPassword(dir, "ext1")).toBeUndefined();
  });

  it("an agent named like another user or like admin is LOS_E_CONFIG_INVALID", async () => {
    const dup = await loadOrCreateCredentials(dir, [{ username: "x", role: "tenant", tenant: "A", passwordEnv: "PW_HA" }], { env, agents: [{ id: "x" }] }).catch((e: unknown) => e);
    expect(isLosError(dup, "LOS_E_CONFIG_INVALID")).toBe(true);
    const admin = await loadOrCreateCredentials(dir, [], { env, agents: [{ id: "admin" }] }).catch((e: unknown) => e);
    expect(isLosError(admin, "LOS_E_CONFIG_INVALID")).toBe(true);
  });
});
