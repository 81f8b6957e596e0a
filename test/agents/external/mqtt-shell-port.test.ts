import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrokerHandle } from "../../../src/bus/broker.js";
import { ExternalHost } from "../../../src/agents/hosts/external-host.js";
import { MqttShellPort } from "../../../src/agents/external/mqtt-shell-port.js";
import { startAgentShell } from "../../../src/agents/isolation/agent-shell.js";
import type { AgentConfig } from "../../../src/config/agent-schema.js";
import { BASE, hostOptions, PASSWORDS, runShellAgent, SCOPE, startAgentBroker, VENT, waitUntil } from "./fixture.js";

/** A rules agent as run-agent would run it: opens the vent when warm, asks for the heater when cold (refused by the test's calls). */
const RULES_VENT: AgentConfig = {
  ...VENT,
  capabilities: { read: ["gh1/*"], write: ["gh1/vent", "gh1/heater"], publish: ["decisions"] },
  policy: {
    kind: "rules",
    rules: [
      { when: "gh1/temperature > 28", then: { "gh1/vent": 40 }, reason: "too warm" },
      { when: "gh1/temperature < 10", then: { "gh1/heater": true }, reason: "too cold" },
    ],
  },
};

const reading = (value: number) => ({ point: "gh1/temperature", value, quality: "good" as const, ts: Date.now() });

describe("the MQTT shell port: a config agent run outside the gateway over the agent protocol", () => {
  let broker: BrokerHandle;
  let port: number;
  beforeAll(async () => {
    ({ broker, port } = await startAgentBroker());
  });
  afterAll(() => broker.close());

  async function run(config: AgentConfig) {
    const started = await runShellAgent(broker, port, config);
    await waitUntil(() => started.host.session(), "registered");
    return started;
  }

  it("registers as a node agent, decides on delivered readings and actuates through the host's checked calls", async () => {
    const { host, rec, client, shellPort } = await run(RULES_VENT);
    expect(host.session()).toMatchObject({ language: "node", version: "test", pid: process.pid });
    // the shell heartbeats with its usage
    await waitUntil(() => rec.heartbeats.some((h) => h.heapBytes !== undefined && h.heapBytes > 0), "heartbeat with usage");
    host.deliver([reading(30)]);
    await waitUntil(() => rec.actuations.length === 1, "vent actuation");
    expect(rec.actuations[0]).toEqual({ point: "gh1/vent", value: 40, reason: "too warm" });
    // a refused actuation comes back to the agent as a result, not a crash: it keeps deciding
    host.deliver([reading(5)]);
    await waitUntil(() => rec.actuations.length === 2, "heater actuation");
    expect(rec.actuations[1]).toMatchObject({ point: "gh1/heater", value: true });
    host.deliver([reading(31)]);
    await waitUntil(() => rec.actuations.length === 3, "vent again");
    expect(host.usage().failures).toBe(0);
    expect(rec.exits).toHaveLength(0);

    // the gateway's stop reaches the shell, which says stopped and ends cleanly
    await host.stop(5000);
    expect(await shellPort.ended).toEqual({ exitCode: 0, message: "stopped" });
    expect(rec.exits).toHaveLength(0);
    await client.endAsync();
  });

  it("an agent that cannot be built says failed and the host reports its code", async () => {
    const broken: AgentConfig = { ...VENT, policy: { kind: "module", file: "/nonexistent/agent.js" } };
    const o = hostOptions(broker, broken);
    const host = new ExternalHost(o);
    await host.start();
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username: "vent", password: PASSWORDS.vent, reconnectPeriod: 0 });
    const shellPort = new MqttShellPort({ client, scope: SCOPE, config: broken, configDir: process.cwd() });
    startAgentShell(shellPort, { cpuMs: () => 0 });
    const end = await shellPort.ended;
    expect(end).toMatchObject({ exitCode: 1, code: "LOS_E_AGENT_CONFIG" });
    await waitUntil(() => o.rec.exits.length === 1, "exit reported");
    expect(o.rec.exits[0]?.code).toBe("LOS_E_AGENT_CONFIG");
    await client.endAsync();
  });

  it("publications are checked against capabilities.publish before they leave", async () => {
    const o = hostOptions(broker, RULES_VENT);
    const host = new ExternalHost(o);
    await host.start();
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username: "vent", password: PASSWORDS.vent, reconnectPeriod: 0 });
    const shellPort = new MqttShellPort({ client, scope: SCOPE, config: RULES_VENT, configDir: process.cwd() });
    // play the shell's part by hand
    const toShell: string[] = [];
    const replies: { id: number; ok: boolean; code?: string }[] = [];
    shellPort.onMessage((m) => {
      toShell.push(m.t);
      if (m.t === "reply") replies.push({ id: m.id, ok: m.envelope.ok, ...(m.envelope.ok ? {} : { code: m.envelope.error.code }) });
      if (m.t === "stop") shellPort.send({ t: "stopped" });
    });
    await waitUntil(() => toShell.includes("init"), "init after registered");
    const watcher = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username: "admin", password: PASSWORDS.admin, reconnectPeriod: 0 });
    const seen: string[] = [];
    watcher.on("message", (t, p) => seen.push(`${t} ${p.toString()}`));
    await watcher.subscribeAsync(`${BASE}/out/#`);
    shellPort.send({ t: "publish", id: 901, subtopic: "decisions", payload: { open: 40 } });
    shellPort.send({ t: "publish", id: 902, subtopic: "elsewhere", payload: 1 });
    await waitUntil(() => replies.length === 2 && seen.length === 1, "publish replies");
    expect(replies.find((r) => r.id === 901)).toEqual({ id: 901, ok: true });
    expect(replies.find((r) => r.id === 902)).toEqual({ id: 902, ok: false, code: "LOS_E_PUBLISH_NOT_PERMITTED" });
    expect(seen).toEqual([`${BASE}/out/decisions {"open":40}`]);
    await watcher.endAsync();
    await host.stop(5000);
    expect(await shellPort.ended).toEqual({ exitCode: 0, message: "stopped" });
    await client.endAsync();
  });
});
