import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { BrokerHandle } from "../../src/bus/broker.js";
import { ExternalHost } from "../../src/agents/hosts/external-host.js";
import { hostOptions, PASSWORDS, startAgentBroker, VENT, waitUntil } from "../agents/external/fixture.js";
import { runCli, startCli } from "./run-cli.js";

describe("llmagentos run-agent", () => {
  let work: string;
  let config: string;
  let passwordFile: string;
  let broker: BrokerHandle;
  let url: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "los-run-agent-"));
    ({ broker } = await startAgentBroker());
    url = `mqtt://127.0.0.1:${broker.listeners()[0]!.port}`;
    config = join(work, "gateway.yaml");
    passwordFile = join(work, "vent.password");
    await writeFile(passwordFile, `${PASSWORDS.vent}\n`);
    await writeFile(
      config,
      stringify({
        site: "s1",
        gateway: "gw1",
        dataDir: join(work, "data"),
        bus: { listeners: [{ kind: "tcp", host: "127.0.0.1", port: 0 }] },
        tenants: [{ id: "growers", devices: ["gh1"] }],
        devices: [{ id: "gh1", profile: "llmagentos/greenhouse-sim", connection: { type: "modbus-tcp", host: "127.0.0.1", port: 1, unitId: 1 } }],
        agents: [
          {
            id: "vent",
            tenant: "growers",
            isolation: "container",
            heartbeatMs: 100,
            capabilities: { read: ["gh1/*"], write: ["gh1/vent"] },
            policy: { kind: "rules", rules: [{ when: "gh1/temperature > 28", then: { "gh1/vent": 40 }, reason: "too warm" }] },
          },
          { id: "ext", tenant: "growers", capabilities: {} },
        ],
      }),
    );
  });
  afterAll(async () => {
    await broker.close();
    await rm(work, { recursive: true, force: true });
  });

  it("config problems exit 3 with their code: unknown agent, agent without a policy, no password", async () => {
    const [unknown, noPolicy, noPassword] = await Promise.all([
      runCli(["run-agent", "nope", "--config", config, "--url", url]),
      runCli(["run-agent", "ext", "--config", config, "--url", url]),
      runCli(["run-agent", "vent", "--config", config, "--url", url]),
    ]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain("LOS_E_CONFIG_INVALID");
    expect(noPolicy.code).toBe(3);
    expect(noPolicy.stderr).toContain("LOS_E_AGENT_CONFIG");
    expect(noPassword.code).toBe(3);
    expect(noPassword.stderr).toContain("LOS_E_SECRET_MISSING");
  });

  it("a refused login ends with exit 1 and LOS_E_BUS_AUTH instead of retrying forever", async () => {
    const wrong = join(work, "wrong.password");
    await writeFile(wrong, "not-the-password\n");
    const run = await runCli(["run-agent", "vent", "--config", config, "--url", url, "--password-file", wrong]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("LOS_E_BUS_AUTH");
  });

  it("registers, acts on readings through the gateway's checked calls, and stops cleanly on SIGTERM", async () => {
    const o = hostOptions(broker, { ...VENT, isolation: "container" });
    const host = new ExternalHost(o);
    await host.start();
    const child = startCli(["run-agent", "vent", "--config", config, "--url", url, "--password-file", passwordFile]);
    try {
      await waitUntil(() => host.session(), "run-agent registered", 30_000);
      expect(host.session()).toMatchObject({ language: "node", pid: child.proc.pid });
      await waitUntil(() => o.rec.heartbeats.some((h) => (h.heapBytes ?? 0) > 0), "heartbeat with usage", 10_000);
      host.deliver([{ point: "gh1/temperature", value: 31, quality: "good", ts: Date.now() }]);
      await waitUntil(() => o.rec.actuations.length === 1, "actuation", 10_000);
      expect(o.rec.actuations[0]).toEqual({ point: "gh1/vent", value: 40, reason: "too warm" });
      child.proc.kill("SIGTERM");
      expect(await child.exited).toBe(0);
      // stopping without the gateway asking is a clean end the supervisor must know of (dead-man rule)
      await waitUntil(() => o.rec.exits.length === 1, "exit reported");
      expect(o.rec.exits[0]?.code).toBe("LOS_E_CLOSED");
    } finally {
      child.proc.kill("SIGKILL");
      await host.stop(0);
    }
  }, 60_000);
});
