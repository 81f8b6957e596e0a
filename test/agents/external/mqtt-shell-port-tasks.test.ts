import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { BrokerHandle } from "../../../src/bus/broker.js";
import type { CallForProposals, TaskAward, TaskRun } from "../../../src/core/task-types.js";
import { ExternalHost } from "../../../src/agents/hosts/external-host.js";
import type { AgentConfig } from "../../../src/config/agent-schema.js";
import { runShellAgent, startAgentBroker, VENT, waitUntil } from "./fixture.js";

/** the module agent of fixtures/vent-bidder.mjs, as run-agent runs it */
const BIDDER: AgentConfig = {
  ...VENT,
  capabilities: { read: ["gh1/*"], write: ["gh1/vent", "gh1/heater"], publish: ["decisions"] },
  policy: { kind: "module", file: fileURLToPath(new URL("./fixtures/vent-bidder.mjs", import.meta.url)) },
};

const forever = () => new AbortController().signal;
const cfp = (taskId: string): CallForProposals => ({ taskId, type: "ventilate", requires: [], params: {}, priority: 5, objective: "max", bidDeadline: Date.now() + 60_000, round: 1 });
const award = (taskId: string, type = "ventilate"): TaskAward => ({ taskId, type, params: {}, attempt: 1, price: 6, leaseMs: 3000 });
const run = (taskId: string, attempt = 1, type = "ventilate"): TaskRun => ({ taskId, type, params: {}, attempt });

describe("run-agent's MQTT shell port: a config agent bids on, confirms and runs tasks over the agent protocol", () => {
  let broker: BrokerHandle;
  let port: number;
  const cleanup: (() => Promise<unknown>)[] = [];
  beforeAll(async () => {
    ({ broker, port } = await startAgentBroker());
  });
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  afterAll(() => broker.close());

  async function start() {
    const { host, rec, client, shellPort } = await runShellAgent(broker, port, BIDDER);
    cleanup.push(async () => {
      await host.stop(5000);
      shellPort.stop(); // a no-op when the gateway's stop already ended it
      await shellPort.ended;
      await client.endAsync(true);
    });
    // the skills reach the gateway once the agent is built (register went out before)
    await waitUntil(() => host.skills().includes("ventilate"), "skills from the running agent");
    return { host, rec, client };
  }

  /** readings and questions travel separately (QoS 0 batch vs QoS 1): ask until the reading is in */
  async function bidOnceWarm(host: ExternalHost) {
    for (let i = 0; i < 200; i++) {
      const bid = await host.ask({ kind: "cfp", cfp: cfp("t1") }, forever());
      if (bid !== undefined) return bid;
    }
    throw new Error("no bid after the reading was delivered");
  }

  it("reports its skills, bids from what it reads, accepts, and runs with idempotency keys and coordination", async () => {
    const { host, rec } = await start();
    expect([...host.skills()].sort()).toEqual(["cooling", "explode", "hold", "ventilate"]);
    expect(await host.ask({ kind: "cfp", cfp: cfp("t0") }, forever())).toBeUndefined(); // nothing read yet: no bid
    host.deliver([{ point: "gh1/temperature", value: 26, quality: "good", ts: Date.now() }]);
    expect(await bidOnceWarm(host)).toEqual({ value: 6, note: "warm" });
    expect(await host.ask({ kind: "award", award: award("t1") }, forever())).toEqual({ accept: true });
    expect(await host.ask({ kind: "award", award: award("t2", "irrigate") }, forever())).toMatchObject({ accept: false });

    const first = await host.ask({ kind: "run", run: run("t1") }, forever());
    expect(first).toEqual({ ok: true, result: { auditId: 1, replayed: false, fact: true, lease: "LOS_E_LEASE_CONFLICT" } });
    // a second attempt of the same task writes with the same key: the gateway replays it
    const again = await host.ask({ kind: "run", run: run("t1", 2) }, forever());
    expect(again).toEqual({ ok: true, result: { auditId: 1, replayed: true, fact: true, lease: "LOS_E_LEASE_CONFLICT" } });
    expect(rec.actuations.map((a) => a.idempotencyKey)).toEqual(["task:t1:gh1/vent:1", "task:t1:gh1/vent:1"]);
    expect(rec.coordinations).toContainEqual({ op: "fact.put", key: "gh1/venting", value: { task: "t1" }, scope: "tenant", ttlMs: 1000 });
    expect(rec.coordinations).toContainEqual({ op: "lease.acquire", point: "gh1/heater", ttlMs: 1000 });

    const broke = await host.ask({ kind: "run", run: run("t3", 1, "explode") }, forever());
    expect(broke).toMatchObject({ ok: false, error: { message: expect.stringMatching(/boom/) } });
    expect(host.ignoredAnswers()).toBe(0);
    expect(host.protocolErrors()).toBe(0);
  });

  it("a cancel reaches the running task; an unknown type fails; the gateway's open asks end when the runner's connection goes", async () => {
    const { host, client } = await start();
    const held = host.ask({ kind: "run", run: run("t4", 1, "hold") }, forever());
    await host.ask({ kind: "cancel", taskId: "t4", attempt: 1, reason: "test" }, forever());
    expect(await held).toMatchObject({ ok: false });
    const unknown = await host.ask({ kind: "run", run: run("t5", 1, "irrigate") }, forever());
    expect(unknown).toMatchObject({ ok: false, error: { code: "LOS_E_TASK_STATE" } });

    const open = host.ask({ kind: "run", run: run("t6", 1, "hold") }, forever());
    open.catch(() => {}); // asserted below
    await waitUntil(() => host.pendingAsks() === 1, "run under way");
    client.stream.destroy();
    await expect(open).rejects.toMatchObject({ code: "LOS_E_AGENT_UNKNOWN" });
    expect(host.pendingAsks()).toBe(0);
  });
});
