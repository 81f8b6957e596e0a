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
