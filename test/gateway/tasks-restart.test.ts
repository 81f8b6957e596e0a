/**
 * A gateway closed while a task runs and built again on the same data dir: the task is still
 * running in state.db, its winner's task lease survived, and when the agent is back it runs the
 * task again with the same attempt (its idempotency keys replay what it already wrote); a task
 * still pending at the close is allocated by the new gateway. Nothing is lost, nothing runs twice.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "../../src/agents/agent.js";
import type { TaskRun } from "../../src/core/task-types.js";
import { loadConfigValue } from "../../src/config/load.js";
import { buildGateway, type Gateway } from "../../src/gateway.js";
import type { ModbusSimulator } from "../../simulators/modbus/simulator.js";
import { gatewayConfigObject, removeDir, startGreenhouse, tempDir, TEST_SCRYPT, waitFor } from "./helpers.js";

describe("tasks across a gateway restart", () => {
  let sim: ModbusSimulator | undefined;
  let gw: Gateway | undefined;
  let dataDir = "";
  afterEach(async () => {
    await gw?.close();
    await sim?.close();
    if (dataDir) await removeDir(dataDir);
    gw = sim = undefined;
  });

  const build = async () => {
    const config = loadConfigValue({ ...gatewayConfigObject({ simPort: sim!.port!, dataDir }), tasks: { leaseMs: 60_000, auction: { bidWindowMs: 100 } } }, dataDir);
    return buildGateway(config, { scrypt: TEST_SCRYPT });
  };

  it("a running task resumes with its winner after the restart; a pending one is allocated", async () => {
    sim = await startGreenhouse();
    dataDir = await tempDir();
    gw = await build();
    const runs: TaskRun[] = [];
    const first = new Agent("keeper", { tenant: "growers", register: false, capabilities: { read: ["gh1/*"], write: ["gh1/vent"] } });
    first.onCallForProposals(() => ({ value: 1 }));
    first.onTask("open-vent", async (run, ctx) => {
      runs.push(run);
      await ctx.actuate("gh1/vent", true, `task ${run.taskId}`);
      // still at work when the gateway goes down
      await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
      throw new Error("stopped");
    });
    gw.addAgent(first);
    await waitFor(() => gw!.agents.running().length === 1, { what: "keeper running" });
    const running = gw.tasks.create({ type: "open-vent" }, "code");
    await gw.tasks.waitFor(running.id, ["running"]);
    await waitFor(() => gw!.store.audit.list({ point: "gh1/vent" }).some((r) => r.outcome === "accepted" && r.actor.id === "keeper"), { what: "the first write" });
    const pending = gw.tasks.create({ type: "count", priority: 9 }, "code"); // nobody takes "count" yet
    await gw.close();
    gw = undefined;

    gw = await build();
    expect(gw.tasks.get(running.id)).toMatchObject({ state: "running", winner: "keeper", attempt: 1 });
    expect(gw.coordination.leases.holderOf(`task:${running.id}`)?.holder).toBe("keeper");
    const again = new Agent("keeper", { tenant: "growers", register: false, capabilities: { read: ["gh1/*"], write: ["gh1/vent"] } });
    again.onCallForProposals(() => ({ value: 1 }));
    again.onTask("open-vent", async (run, ctx) => {
      runs.push(run);
      const r = await ctx.actuate("gh1/vent", true, `task ${run.taskId}`);
      return { replayed: r.ok && r.replayed === true };
    });
    again.onTask("count", () => 7);
    gw.addAgent(again);
    const resumed = await gw.tasks.waitFor(running.id);
    expect(resumed).toMatchObject({ state: "done", winner: "keeper", attempt: 1, result: { replayed: true } });
    expect(runs.map((r) => r.attempt)).toEqual([1, 1]);
    expect(gw.tasks.events(running.id).map((e) => e.event)).toContain("resumed");
    const writes = gw.store.audit.list({ point: "gh1/vent" }).filter((r) => r.outcome === "accepted" && r.reason === `task ${running.id}`);
    expect(writes).toHaveLength(1);
    expect(await gw.tasks.waitFor(pending.id)).toMatchObject({ state: "done", winner: "keeper", result: 7 });
  });
  it("an actuator lease that ran out while the gateway was down drives its point to the safe value once the drivers run", async () => {
    sim = await startGreenhouse();
    dataDir = await tempDir();
    const config = () => loadConfigValue({ ...gatewayConfigObject({ simPort: sim!.port!, dataDir }), safeOnShutdown: false }, dataDir);
    gw = await buildGateway(config(), { scrypt: TEST_SCRYPT });
    const holder = new Agent("holder", { tenant: "growers", register: false, capabilities: { read: ["gh1/*"], write: ["gh1/vent"] } });
    gw.addAgent(holder);
    await waitFor(() => holder.context, { what: "holder running" });
    const lease = await holder.context!.lease("gh1/vent", 300);
    expect(lease).toMatchObject({ ok: true });
    expect(await holder.context!.actuate("gh1/vent", true, "open under a lease")).toMatchObject({ ok: true });
    await waitFor(() => sim!.bank(1).getBit("coil", 2), { what: "vent open" });
    await gw.close(); // safeOnShutdown false: the vent stays open, the lease stays stored
    gw = undefined;
    expect(sim.bank(1).getBit("coil", 2)).toBe(true);
    const until = lease.ok && lease.lease ? lease.lease.until : 0;
    await waitFor(() => Date.now() > until, { what: "the lease's end to pass while the gateway is down" });

    gw = await buildGateway(config(), { scrypt: TEST_SCRYPT });
    await waitFor(() => !sim!.bank(1).getBit("coil", 2), { what: "vent driven to its safe value" });
    // the audit record follows the coil's write
    const safe = await waitFor(() => gw!.store.audit.list({ point: "gh1/vent" }).find((r) => r.reason.includes("expired")), { what: "the safe write's audit record" });
    expect(safe).toMatchObject({ outcome: "accepted", value: false });
  });
});
