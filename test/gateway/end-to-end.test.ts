/**
 * Simulator → gateway → history, bus, agents, audit, and back to the simulator's coils: one
 * gateway built from a config object, the greenhouse simulator over real Modbus TCP, real MQTT
 * clients on the gateway's listeners and the real SQLite files in a temp data dir.
 */
import { afterEach, describe, expect, it } from "vitest";
import { openStoreReadOnly } from "../../src/store/index.js";
import { topics } from "../../src/core/topics.js";
import { Agent } from "../../src/agents/agent.js";
import { collect, removeDir, startHarness, waitFor, type Harness } from "./helpers.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const band = {
  id: "climate",
  tenant: "growers",
  capabilities: { read: ["gh1/*"], write: ["gh1/heater", "gh1/vent"] },
  policy: { kind: "band", point: "gh1/temperature", low: 18, high: 24, heat: "gh1/heater", cool: "gh1/vent" },
};

describe("gateway end to end", () => {
  it("polls into history and the bus, a band agent heats, every write is audited, close goes safe", async () => {
    h = await startHarness({ temperatureC: 10, agents: [band] });
    const { gateway, sim } = h;
    const scope = gateway.scope;

    // (c) the band agent sees 10 degC below 18 and switches the heater coil on in the simulator
    await waitFor(() => sim.bank(1).getBit("coil", 0), { what: "heater coil on" });
    expect(sim.bank(1).getBit("coil", 2)).toBe(false);

    // (a) history: the readings are in SQLite (report by exception: the frozen model gives one
    // temperature sample, then another after the model moves)
    gateway.store.telemetry.flush();
    expect(gateway.store.telemetry.range("gh1/temperature", { since: 0 })).toHaveLength(1);
    const last = gateway.store.telemetry.last("gh1/temperature")!;
    expect(last.value).toBe(10);
    expect(last.quality).toBe("good");
    expect(gateway.store.telemetry.last("gh1/humidity")?.quality).toBe("good");

    // (b) an external subscriber gets the retained device state (with units) and gateway status
    const client = await h.connect(h.authPort, { username: "admin", password: h.adminPassword() });
    const seen = collect(client);
    await client.subscribeAsync([topics.deviceState(scope, "gh1"), topics.gatewayStatus(scope), topics.deviceStatus(scope, "gh1"), topics.audit(scope)]);
    const state = await waitFor(() => seen.last(topics.deviceState(scope, "gh1")), { what: "retained device state" });
    const points = state.points as Record<string, { v: unknown; q: string; u?: string; t: number }>;
    expect(points.temperature).toMatchObject({ v: 10, q: "good", u: "degC" });
    expect(points.humidity).toMatchObject({ q: "good", u: "%RH" });
    expect(typeof points.temperature!.t).toBe("number");
    expect(points.door).toMatchObject({ q: "good" });
    expect(points.door!.u).toBeUndefined();
    expect(seen.on(topics.deviceState(scope, "gh1"))[0]!.retain).toBe(true);
    const status = await waitFor(() => seen.last(topics.gatewayStatus(scope)), { what: "retained gateway status" });
    expect(status).toMatchObject({ state: "online", site: "test-site", gateway: "gw1" });
    expect(await waitFor(() => seen.last(topics.deviceStatus(scope, "gh1")))).toMatchObject({ available: true });

    // (d) the agent's write is audited in SQLite with actor, point, value, reason and outcome
    const audit = gateway.store.audit.list({ point: "gh1/heater" });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: { kind: "agent", id: "climate" },
      point: "gh1/heater",
      value: true,
      outcome: "accepted",
    });
    expect(audit[0]!.reason).toMatch(/gh1\/temperature = 10 below 18/);

    // an operator write reaches the simulator too and is published on the audit topic
    // (alarm_limit: no rate limit, so the outcome does not depend on how long the test has run)
    const set = await gateway.actuate({ kind: "operator", id: "tester" }, "gh1/alarm_limit", 40, "e2e test");
    expect(set).toMatchObject({ ok: true, point: "gh1/alarm_limit", value: 40 });
    expect(sim.bank(1).readValue("holding", 2, "int16")).toBe(400);
    const published = await waitFor(() => seen.on(topics.audit(scope)).find((m) => (m.body as { point: string }).point === "gh1/alarm_limit"));
    expect(published.body).toMatchObject({ actor: "tester", value: 40, reason: "e2e test", outcome: "accepted" });
    await waitFor(() => gateway.live.get("gh1/alarm_limit")?.value === 40, { what: "alarm_limit read back" });
    await waitFor(() => seen.last(topics.deviceState(scope, "gh1"))?.points, { what: "state" });
    await waitFor(() => (seen.last(topics.deviceState(scope, "gh1"))!.points as Record<string, { v: unknown }>).alarm_limit?.v === 40, {
      what: "alarm_limit in the published state",
    });

    // close: the retained status goes offline before the broker stops, actuators go to safe values
    const dataDir = h.dataDir;
    const harness = h;
    h = undefined;
    await gateway.close();
    expect(seen.last(topics.gatewayStatus(scope))).toMatchObject({ state: "offline" });
    const bank = sim.bank(1);
    expect(bank.getBit("coil", 0)).toBe(false); // heater
    expect(bank.getBit("coil", 1)).toBe(false); // fan
    expect(bank.getBit("coil", 2)).toBe(false); // vent
    expect(bank.readValue("holding", 0, "int16")).toBe(210); // setpoint safe value 21 degC
    expect(bank.readValue("holding", 1, "uint16")).toBe(100); // fan_speed safe value 100 %

    // the safe-value writes are audited, and history survived the close
    const ro = openStoreReadOnly(dataDir);
    try {
      const safety = ro.audit.list({ actor: "safety" });
      expect(safety.map((r) => r.point).sort()).toEqual(["gh1/fan", "gh1/fan_speed", "gh1/heater", "gh1/setpoint", "gh1/vent"]);
      expect(safety.every((r) => r.outcome === "accepted" && r.reason === "gateway shutdown")).toBe(true);
      expect(ro.telemetry.sampleCount()).toBeGreaterThan(0);
      expect(ro.telemetry.last("gh1/temperature")?.value).toBe(10);
    } finally {
      ro.close();
    }
    await harness.close(); // client, simulator, data dir (the gateway is already closed)
    await removeDir(dataDir);
  });

  it("a code agent added with addAgent reacts to temperature through the checked path", async () => {
    h = await startHarness({ temperatureC: 30 });
    const { gateway, sim } = h;
    const agent = new Agent("venter", { tenant: "growers", register: false, capabilities: { read: ["gh1/temperature"], write: ["gh1/vent"] } });
    agent.onDecide(async (_p, ctx) => {
      const t = ctx.value("gh1/temperature");
      if (typeof t === "number" && t > 25 && ctx.value("gh1/vent") !== true) await ctx.actuate("gh1/vent", true, `too warm: ${t}`);
    });
    gateway.addAgent(agent);
    await waitFor(() => sim.bank(1).getBit("coil", 2), { what: "vent coil open" });
    // the audit record is written once the device confirmed the write, just after the coil changed
    const rec = await waitFor(() => gateway.store.audit.list({ actor: "venter" })[0], { what: "the audit record" });
    expect(rec).toMatchObject({ point: "gh1/vent", value: true, outcome: "accepted", reason: "too warm: 30" });
  });
});
