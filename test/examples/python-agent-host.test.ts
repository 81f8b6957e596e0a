import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrokerHandle } from "../../src/bus/broker.js";
import type { CallForProposals } from "../../src/core/task-types.js";
import { ExternalHost } from "../../src/agents/hosts/external-host.js";
import { hostOptions, type Recorded, PASSWORDS, SCOPE, startAgentBroker, VENT, waitUntil } from "../agents/external/fixture.js";
import { requirePaho, startPythonAgent } from "./python-agent.js";

const forever = () => new AbortController().signal;
const cfp = (taskId: string, type = "ventilate"): CallForProposals => ({
  taskId, type, requires: [], params: { minutes: 5 }, priority: 5, objective: "max", bidDeadline: Date.now() + 60_000, round: 1,
});

/**
 * The contract-net questions as the task layer asks them: at 10 °C (closing point 24) it declines;
 * at 30 °C it bids 6, confirms, runs (vent opened with the task's idempotency key, a tenant fact
 * shared), and a second attempt of the same task is replayed by the gateway, not actuated again.
 */
async function taskRound(host: ExternalHost, rec: Recorded): Promise<void> {
  expect(await host.ask({ kind: "cfp", cfp: cfp("t0") }, forever())).toBeUndefined(); // cold: 10 °C
  host.deliver(temperature(30));
  await waitUntil(() => rec.actuations.length === 6, "vent open and heater off again");
  expect(await host.ask({ kind: "cfp", cfp: cfp("t1", "irrigate") }, forever())).toBeUndefined();
  expect(await host.ask({ kind: "cfp", cfp: cfp("t1") }, forever())).toEqual({ value: 6, note: "temperature 30" });
  const award = { taskId: "t1", type: "ventilate", params: { minutes: 5 }, attempt: 1, price: 6, leaseMs: 3000 };
  expect(await host.ask({ kind: "award", award }, forever())).toEqual({ accept: true });
  const first = await host.ask({ kind: "run", run: { taskId: "t1", type: "ventilate", params: { minutes: 5 }, attempt: 1 } }, forever());
  expect(first).toEqual({ ok: true, result: { auditId: expect.any(Number), replayed: false } });
  const retry = await host.ask({ kind: "run", run: { taskId: "t1", type: "ventilate", params: { minutes: 5 }, attempt: 2 } }, forever());
  expect(retry).toEqual({ ok: true, result: { auditId: (first as { result: { auditId: number } }).result.auditId, replayed: true } });
  const keyed = rec.actuations.filter((x) => x.idempotencyKey !== undefined);
  expect(keyed).toEqual([
    { point: "gh1/vent", value: true, reason: "task t1", idempotencyKey: "task:t1:gh1/vent:1" },
    { point: "gh1/vent", value: true, reason: "task t1", idempotencyKey: "task:t1:gh1/vent:1" },
  ]);
  expect(rec.coordinations[0]).toEqual({ op: "fact.put", key: "gh1/vent/ventilating", scope: "tenant", value: { by: "vent", task: "t1" }, ttlMs: 60_000 });
}

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

  it("registers, heartbeats, acts on readings, prints the coded replies, bids on and runs a task, and leaves cleanly on SIGTERM", async () => {
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

      expect(host.skills()).toEqual(["ventilate"]);
      await taskRound(host, o.rec);

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
