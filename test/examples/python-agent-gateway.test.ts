import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, waitFor, type Harness } from "../gateway/helpers.js";
import { requirePaho, startPythonAgent, type PythonAgent } from "./python-agent.js";

/**
 * The example Python agent against a whole gateway: the greenhouse Modbus simulator, the broker
 * with its tenant ACL and the agent's generated password, the supervisor and the actuation path.
 */
describe("example Python agent on a real gateway", () => {
  let h: Harness;
  let py: PythonAgent | undefined;
  const coil = (address: number) => h.sim.bank(1).getBit("coil", address);

  beforeAll(async () => {
    requirePaho();
    h = await startHarness({
      temperatureC: 20,
      agents: [{ id: "py-vent", tenant: "growers", heartbeatMs: 1000, capabilities: { read: ["gh1/temperature"], write: ["gh1/vent"] } }],
    });
  });
  afterAll(async () => {
    py?.proc.kill("SIGKILL");
    await h.close();
  });

  it("registers, reads, actuates through the envelope to the simulator, is refused an ungranted point, and its death drives the vent to safe", async () => {
    py = startPythonAgent([
      "--port", String(h.authPort), "--site", "test-site", "--gateway", "gw1", "--agent", "py-vent",
      "--password-file", join(h.dataDir, "agents", "py-vent.password"),
      "--open-above", "15", "--heater", "gh1/heater", "--heat-below", "25",
    ]);
    const reg = await py.next("registered");
    expect(reg.capabilities).toMatchObject({ read: ["gh1/temperature"], write: ["gh1/vent"] });
    // the current temperature arrives though it has not changed since the gateway's first poll
    expect((await py.next("reading")).value).toBe(20);

    const opened = await py.next("reply", (e) => e.ok === true);
    expect(opened.data).toMatchObject({ point: "gh1/vent", value: true });
    await waitFor(() => coil(2) === true, { what: "vent coil open on the simulator" });

    const refused = await py.next("reply", (e) => e.ok === false);
    expect(refused.error).toMatchObject({ code: "LOS_E_WRITE_NOT_PERMITTED" });
    expect(coil(0)).toBe(false); // the heater was never written

    py.proc.kill("SIGKILL");
    await py.exited;
    // dead-man: the actuators the agent owned go to their declared safe value (vent: false)
    await waitFor(() => coil(2) === false, { what: "vent driven to its safe value after the agent died" });
  }, 60_000);
});

/**
 * A task created through the gateway's task API goes to the Python agent by contract net: it is the
 * only agent with the `ventilate` skill (declared in its register), bids from the temperature,
 * confirms, opens the vent on the simulator with the task's idempotency key and shares a fact.
 */
describe("example Python agent wins a task on a real gateway", () => {
  let h: Harness;
  let py: PythonAgent | undefined;

  beforeAll(async () => {
    requirePaho();
    h = await startHarness({
      temperatureC: 20,
      agents: [{ id: "py-vent", tenant: "growers", heartbeatMs: 300, capabilities: { read: ["gh1/temperature"], write: ["gh1/vent"] } }],
    });
  });
  afterAll(async () => {
    py?.proc.kill("SIGKILL");
    await h.close();
  });

  it("bids, is awarded, runs the task (vent opened on the simulator) and the task ends done with its result", async () => {
    // closing point 25 - 10 = 15 °C: at 20 °C it bids 5; its own policy neither opens nor closes the vent
    py = startPythonAgent([
      "--port", String(h.authPort), "--site", "test-site", "--gateway", "gw1", "--agent", "py-vent",
      "--password-file", join(h.dataDir, "agents", "py-vent.password"),
      "--open-above", "25", "--hysteresis", "10",
    ]);
    await py.next("registered");
    await py.next("reading");
    expect(h.sim.bank(1).getBit("coil", 2)).toBe(false);

    const created = h.gateway.tasks.create({ type: "ventilate", params: { minutes: 5 } }, "code");
    const task = await h.gateway.tasks.waitFor(created.id);
    expect(task).toMatchObject({ state: "done", winner: "py-vent", attempt: 1, result: { replayed: false } });
    expect(await py.next("bid", (e) => e.taskId === created.id)).toMatchObject({ value: 5 });
    expect(await py.next("task-done", (e) => e.taskId === created.id)).toMatchObject({ ok: true, attempt: 1 });
    await waitFor(() => h.sim.bank(1).getBit("coil", 2) === true, { what: "vent coil opened by the task" });
    expect(h.gateway.coordination.facts.get("tenant", "growers", "gh1/vent/ventilating")?.value).toEqual({ by: "py-vent", task: created.id });
  }, 60_000);
});

