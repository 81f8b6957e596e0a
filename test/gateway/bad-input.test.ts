/**
 * Bad input from every side — refused writes, hostile or broken MQTT clients, a misbehaving device,
 * a broken config — each gets a clear coded outcome, the gateway keeps running (readings keep
 * flowing afterwards) and no history or audit record is lost.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { MqttClient } from "mqtt";
import { Agent } from "../../src/agents/agent.js";
import { loadConfigValue } from "../../src/config/load.js";
import { isLosError } from "../../src/core/errors.js";
import { topics } from "../../src/core/topics.js";
import type { FaultMode } from "../../simulators/modbus/faults.js";
import { collect, expectReadingsFlow, gatewayConfigObject, PinnedWallClock, removeDir, startHarness, tempDir, waitFor, type Harness } from "./helpers.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const operator = { kind: "operator", id: "t" } as const;

describe("refused writes", () => {
  it("every envelope and capability refusal has its code, is audited as refused, and polling goes on", async () => {
    const clock = new PinnedWallClock();
    h = await startHarness({ options: { clock } });
    const { gateway } = h;
    await waitFor(() => gateway.live.get("gh1/setpoint")?.quality === "good" && gateway.live.get("gh1/high_temp_alarm")?.quality === "good", {
      what: "first poll",
    });

    const refusals: [string, unknown, string][] = [];
    const expectRefused = async (point: string, value: unknown, code: string) => {
      const r = await gateway.actuate(operator, point, value as number, `bad input ${code}`);
      expect(r, `${point} = ${String(value)}`).toMatchObject({ ok: false, code, point });
      refusals.push([point, value, code]);
    };

    await expectRefused("gh1/setpoint", 99, "LOS_E_WRITE_OUT_OF_RANGE");
    await expectRefused("gh1/setpoint", 1, "LOS_E_WRITE_OUT_OF_RANGE");
    await expectRefused("gh1/temperature", 5, "LOS_E_WRITE_READ_ONLY");
    await expectRefused("gh1/nope", 1, "LOS_E_POINT_UNKNOWN");
    await expectRefused("gh9/heater", true, "LOS_E_POINT_UNKNOWN");
    await expectRefused("heater", true, "LOS_E_POINT_UNKNOWN");
    await expectRefused("gh1/heater", 1, "LOS_E_WRITE_TYPE");
    await expectRefused("gh1/setpoint", true, "LOS_E_WRITE_TYPE");
    await expectRefused("gh1/setpoint", Number.NaN, "LOS_E_WRITE_TYPE");

    // rate: setpoint may move 2 degC per second; the wall clock stands still until we move it
    await expectRefused("gh1/setpoint", 22, "LOS_E_WRITE_RATE");
    clock.advance(1000);
    expect(await gateway.actuate(operator, "gh1/setpoint", 23, "within 2/s")).toMatchObject({ ok: true });
    await expectRefused("gh1/setpoint", 24, "LOS_E_WRITE_RATE");
    clock.advance(500);
    expect(await gateway.actuate(operator, "gh1/setpoint", 24, "within 2/s again")).toMatchObject({ ok: true });
    expect(h.sim.bank(1).readValue("holding", 0, "int16")).toBe(240);

    // interlock: lower the alarm limit below the inside temperature, the simulator raises the alarm
    expect(await gateway.actuate(operator, "gh1/alarm_limit", 10, "force the high-temperature alarm")).toMatchObject({ ok: true });
    await waitFor(() => gateway.live.get("gh1/high_temp_alarm")?.value === true, { what: "high_temp_alarm" });
    await expectRefused("gh1/heater", true, "LOS_E_WRITE_INTERLOCK");
    expect(h.sim.bank(1).getBit("coil", 0)).toBe(false);

    // capability: an agent that may write only the vent tries the heater
    const results: unknown[] = [];
    const agent = new Agent("sneaky", { tenant: "growers", register: false, capabilities: { read: ["gh1/*"], write: ["gh1/vent"] } });
    agent.onDecide(async (_p, ctx) => {
      if (results.length === 0) results.push(await ctx.actuate("gh1/fan", true, "not mine"));
    });
    gateway.addAgent(agent);
    await waitFor(() => results.length > 0, { what: "the agent's attempt" });
    expect(results[0]).toMatchObject({ ok: false, code: "LOS_E_WRITE_NOT_PERMITTED", point: "gh1/fan" });
    expect(h.sim.bank(1).getBit("coil", 1)).toBe(false);

    // every attempt is in the audit table, refused ones with their code
    const audit = gateway.store.audit.list({ limit: 1000 });
    expect(audit).toHaveLength(refusals.length + 4);
    for (const [point, , code] of refusals) {
      const rec = audit.find((r) => r.point === point && r.code === code && r.actor.id === "t");
      expect(rec, `${point} ${code}`).toMatchObject({ outcome: "refused", reason: `bad input ${code}` });
    }
    expect(audit.filter((r) => r.outcome === "accepted")).toHaveLength(3);
    expect(audit.find((r) => r.actor.id === "sneaky")).toMatchObject({
      actor: { kind: "agent", id: "sneaky" },
      point: "gh1/fan",
      outcome: "refused",
      code: "LOS_E_WRITE_NOT_PERMITTED",
    });
    // NaN cannot be stored as a number: it is audited as its text
    expect(audit.find((r) => r.point === "gh1/setpoint" && r.value === "NaN")?.code).toBe("LOS_E_WRITE_TYPE");

    await expectReadingsFlow(h);
  });
});

describe("MQTT clients", () => {
  const request = async (client: MqttClient, base: string, body: string | object, correlationId: string) => {
    const replyTopic = `${base}/replies/${correlationId}`;
    await client.subscribeAsync(replyTopic);
    const reply = new Promise<Record<string, unknown>>((resolve) => {
      const onMessage = (topic: string, payload: Buffer) => {
        if (topic !== replyTopic) return;
        client.removeListener("message", onMessage);
        resolve(JSON.parse(payload.toString("utf8")) as Record<string, unknown>);
      };
      client.on("message", onMessage);
    });
    await client.publishAsync(`${base}/devices/gh1/write`, typeof body === "string" ? body : JSON.stringify(body));
    return reply;
  };

  it("wrong password is refused at CONNACK, oversize payloads cut only their sender, writes are answered", async () => {
    h = await startHarness({ limits: { maxPayloadBytes: 1024 } });
    const { gateway } = h;
    const base = `los/v1/${gateway.scope.site}/${gateway.scope.gateway}`;
    const admin = await h.connect(h.authPort, { username: "admin", password: h.adminPassword() });
    const anon = await h.connect(h.anonPort);

    // wrong password: CONNACK refuses (bad user name or password / not authorized)
    const refused = await h.connect(h.authPort, { username: "admin", password: "wrong" }).then(
      () => undefined,
      (err: { code?: number }) => err,
    );
    expect(refused?.code).toBeOneOf([4, 5]);
    // no credentials on the listener that requires them
    const noCreds = await h.connect(h.authPort).then(
      () => undefined,
      (err: { code?: number }) => err,
    );
    expect(noCreds?.code).toBeOneOf([4, 5]);

    // write over MQTT as admin: done and answered ok, in the simulator and the audit table
    const ok = await request(admin, base, { point: "fan", value: true, reason: "mqtt admin", correlationId: "c1" }, "c1");
    expect(ok).toMatchObject({ ok: true, correlationId: "c1", data: { point: "gh1/fan", value: true } });
    expect(h.sim.bank(1).getBit("coil", 1)).toBe(true);

    // an explicit replyTo the client may subscribe to
    const replyTo = `${base}/replies/mine`;
    await admin.subscribeAsync(replyTo);
    const viaReplyTo = new Promise<Record<string, unknown>>((resolve) =>
      admin.on("message", (t, p) => t === replyTo && resolve(JSON.parse(p.toString()) as Record<string, unknown>)),
    );
    await admin.publishAsync(`${base}/devices/gh1/write`, JSON.stringify({ point: "setpoint", value: 99, reason: "too hot", correlationId: "c2", replyTo }));
    expect(await viaReplyTo).toMatchObject({ ok: false, correlationId: "c2", error: { code: "LOS_E_WRITE_OUT_OF_RANGE" } });

    // anonymous loopback clients may request, but not write
    const anonReply = await request(anon, base, { point: "fan", value: false, reason: "anon", correlationId: "c3" }, "c3");
    expect(anonReply).toMatchObject({ ok: false, correlationId: "c3", error: { code: "LOS_E_WRITE_NOT_PERMITTED" } });
    expect(h.sim.bank(1).getBit("coil", 1)).toBe(true);

    // a request of the wrong shape is answered LOS_E_REQUEST_INVALID (nothing is audited: no point)
    const invalid = await request(admin, base, { point: "fan", value: "on", reason: "string value", correlationId: "c4" }, "c4");
    expect(invalid).toMatchObject({ ok: false, correlationId: "c4", error: { code: "LOS_E_REQUEST_INVALID" } });
    const noReason = await request(admin, base, { point: "fan", value: true, correlationId: "c5" }, "c5");
    expect(noReason).toMatchObject({ ok: false, correlationId: "c5", error: { code: "LOS_E_REQUEST_INVALID" } });
    // malformed JSON carries no correlationId, so no reply can be addressed: it is dropped (and
    // logged); the client stays connected and the next request is served
    await admin.publishAsync(`${base}/devices/gh1/write`, "{not json");
    const after = await request(admin, base, { point: "fan", value: false, reason: "after garbage", correlationId: "c6" }, "c6");
    expect(after).toMatchObject({ ok: true, correlationId: "c6" });
    expect(h.sim.bank(1).getBit("coil", 1)).toBe(false);

    // oversize payload: that client is disconnected, the others are fine
    const big = await h.connect(h.authPort, { username: "admin", password: h.adminPassword() });
    const bigClosed = new Promise<void>((resolve) => big.once("close", () => resolve()));
    big.publish(`${base}/agents/x/out/big`, Buffer.alloc(2000, 0x61));
    await bigClosed;
    const seen = collect(anon);
    await anon.subscribeAsync(topics.deviceState(gateway.scope, "gh1"));
    await waitFor(() => seen.last(topics.deviceState(gateway.scope, "gh1")), { what: "state still delivered to another client" });
    expect(admin.connected).toBe(true);
    const still = await request(admin, base, { point: "vent", value: true, reason: "after oversize", correlationId: "c7" }, "c7");
    expect(still).toMatchObject({ ok: true });

    // the audit table holds every write that named a point: c1, c2, c3, c6, c7
    const audit = gateway.store.audit.list({ limit: 100 }).reverse();
    expect(audit.map((r) => [r.actor.id, r.point, r.outcome, r.code ?? null])).toEqual([
      ["admin", "gh1/fan", "accepted", null],
      ["admin", "gh1/setpoint", "refused", "LOS_E_WRITE_OUT_OF_RANGE"],
      [expect.stringMatching(/^client:/), "gh1/fan", "refused", "LOS_E_WRITE_NOT_PERMITTED"],
      ["admin", "gh1/fan", "accepted", null],
      ["admin", "gh1/vent", "accepted", null],
    ]);
    await expectReadingsFlow(h);
  });
});

describe("device faults", () => {
  const cases: { mode: FaultMode; code?: string }[] = [
    { mode: "no-answer", code: "LOS_E_DEVICE_TIMEOUT" },
    { mode: "exception" },
    { mode: "garbage" },
    { mode: "drop" },
  ];

  it("the device goes unavailable with bad readings, then recovers after the fault is cleared", async () => {
    h = await startHarness({ timeoutMs: 150 });
    const { gateway, sim } = h;
    const client = await h.connect(h.authPort, { username: "admin", password: h.adminPassword() });
    const seen = collect(client);
    const statusTopic = topics.deviceStatus(gateway.scope, "gh1");
    const stateTopic = topics.deviceState(gateway.scope, "gh1");
    await client.subscribeAsync([statusTopic, stateTopic]);
    await waitFor(() => seen.last(statusTopic)?.available === true, { what: "device available" });

    for (const { mode, code } of cases) {
      const from = seen.messages.length;
      sim.faults.set({ mode, unitId: 1 });
      const down = await waitFor(() => seen.messages.slice(from).find((m) => m.topic === statusTopic && (m.body as { available: boolean }).available === false), {
        what: `${mode}: device unavailable`,
      });
      const body = down.body as { error: string; message: string };
      if (code) expect(body.error, mode).toBe(code);
      else expect(body.error, mode).toMatch(/^LOS_E_DEVICE_/);
      expect(body.message.length, mode).toBeGreaterThan(0);
      expect(gateway.live.get("gh1/temperature")?.quality, mode).toBe("bad");
      const state = seen.last(stateTopic)!.points as Record<string, { v: unknown; q: string; e?: string }>;
      expect(state.temperature, mode).toMatchObject({ v: null, q: "bad" });

      sim.faults.clear();
      await waitFor(() => seen.messages.slice(from).some((m) => m.topic === statusTopic && (m.body as { available: boolean }).available === true), {
        what: `${mode}: device available again`,
      });
      await waitFor(() => gateway.live.get("gh1/temperature")?.quality === "good", { what: `${mode}: good readings again` });
      await expectReadingsFlow(h);
    }
    const counts = sim.faults.counts();
    for (const { mode } of cases) expect(counts[mode], `${mode} was injected`).toBeGreaterThan(0);

    // history kept the outage: bad samples between good ones
    gateway.store.telemetry.flush();
    const samples = gateway.store.telemetry.range("gh1/temperature", { since: 0 });
    expect(samples.filter((s) => s.quality === "bad").length).toBeGreaterThanOrEqual(cases.length);
    expect(samples.at(-1)!.quality).toBe("good");
  });
});

describe("bad config", () => {
  it("an unknown key or a missing profile throws LOS_E_CONFIG_INVALID and creates nothing", async () => {
    const dir = await tempDir();
    try {
      const dataDir = join(dir, "data");
      const good = gatewayConfigObject({ simPort: 1502, dataDir });
      expect(() => loadConfigValue(good, dir)).not.toThrow();

      const unknownKey = { ...good, colour: "blue" };
      const missingProfile = { ...good, devices: [{ ...(good.devices as object[])[0], profile: "acme/does-not-exist" }] };
      for (const [name, bad, path] of [
        ["unknown key", unknownKey, /colour/],
        ["missing profile", missingProfile, /devices\.0\.profile|devices\/0\/profile|devices\[0\]\.profile/],
      ] as const) {
        let caught: unknown;
        try {
          loadConfigValue(bad, dir);
        } catch (err) {
          caught = err;
        }
        expect(isLosError(caught, "LOS_E_CONFIG_INVALID"), name).toBe(true);
        expect(String((caught as Error).message), name).toMatch(path);
      }
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      await removeDir(dir);
    }
  });
});
