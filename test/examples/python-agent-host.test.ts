import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrokerHandle } from "../../src/bus/broker.js";
import { ExternalHost } from "../../src/agents/hosts/external-host.js";
import { hostOptions, PASSWORDS, SCOPE, startAgentBroker, VENT, waitUntil } from "../agents/external/fixture.js";
import { requirePaho, startPythonAgent } from "./python-agent.js";

const temperature = (value: number) => [{ point: "gh1/temperature", value, quality: "good" as const, ts: Date.now() }];

describe("the example Python agent (paho-mqtt) against the external host", () => {
  let broker: BrokerHandle;
  let port: number;
  beforeAll(async () => {
    requirePaho();
    ({ broker, port } = await startAgentBroker());
  });
  afterAll(() => broker.close());

  const args = () => [
    "--port", String(port), "--site", SCOPE.site, "--gateway", SCOPE.gateway, "--agent", "vent", "--password", PASSWORDS.vent,
    "--open-above", "25", "--heater", "gh1/heater", "--heat-below", "15",
  ];

  it("registers, heartbeats, acts on readings, prints the coded replies, and leaves cleanly on SIGTERM", async () => {
    const o = hostOptions(broker);
    const host = new ExternalHost(o);
    await host.start();
    const py = startPythonAgent(args());
    try {
      const reg = await py.next("registered");
      expect(reg).toMatchObject({ heartbeatMs: 100, capabilities: { write: ["gh1/vent"] } });
      expect(host.session()).toMatchObject({ language: "python", version: "1.0.0", pid: py.proc.pid });
      await waitUntil(() => o.rec.heartbeats.some((h) => h.cpuMs !== undefined), "python heartbeat");

      host.deliver(temperature(30)); // warm: vent open (granted), heater off (refused by the envelope stand-in)
      const open = await py.next("reply", (e) => e.ok === true);
      expect(open.data).toEqual({ auditId: 1, point: "gh1/vent", value: true });
      const refused = await py.next("reply", (e) => e.ok === false);
      expect(refused.error).toMatchObject({ code: "LOS_E_WRITE_OUT_OF_RANGE", details: { point: "gh1/heater" } });
      host.deliver(temperature(10)); // cold: vent closes, heater asked for
      await waitUntil(() => o.rec.actuations.length === 4, "four actuations");
      expect(o.rec.actuations.map((a) => `${a.point}=${String(a.value)}`)).toEqual(["gh1/vent=true", "gh1/heater=false", "gh1/vent=false", "gh1/heater=true"]);
      await py.next("reply", () => py.events.filter((e) => e.event === "reply").length === 4);

      await host.assignTask({ id: "t1", name: "ventilate", params: { minutes: 5 } });
      expect((await py.next("task")).task).toEqual({ id: "t1", name: "ventilate", params: { minutes: 5 } });

      py.proc.kill("SIGTERM");
      expect(await py.exited).toBe(0);
      await waitUntil(() => o.rec.exits.length === 1, "exit reported");
      // it said `stopped` before leaving: a clean end (the supervisor still applies the dead-man rule)
      expect(o.rec.exits[0]).toEqual({ code: "LOS_E_CLOSED", message: "the agent stopped on its own" });
    } finally {
      py.proc.kill("SIGKILL");
      await host.stop(0);
    }
  }, 30_000);

  it("obeys in/stop from the gateway and exits 0; a killed agent is reported as crashed", async () => {
    const o = hostOptions(broker);
    const host = new ExternalHost(o);
    await host.start();
    const py = startPythonAgent(args());
    await py.next("registered");
    await host.stop(5000);
    expect(await py.exited).toBe(0);
    expect(py.events.some((e) => e.event === "stopping")).toBe(true);
    expect(o.rec.exits).toHaveLength(0);

    const o2 = hostOptions(broker, VENT);
    const host2 = new ExternalHost(o2);
    await host2.start();
    const killed = startPythonAgent(args());
    await killed.next("registered");
    killed.proc.kill("SIGKILL");
    await waitUntil(() => o2.rec.exits.length === 1, "crash reported");
    expect(o2.rec.exits[0]?.code).toBe("LOS_E_AGENT_CRASHED");
    await host2.stop(0);
  }, 30_000);

  it("a wrong password is reported and the agent exits 1", async () => {
    const py = startPythonAgent([...args().slice(0, -6), "--password", "wrong"]);
    expect(await py.exited).toBe(1);
    expect(py.events.find((e) => e.event === "error")?.message).toMatch(/refused/);
  }, 30_000);
});
