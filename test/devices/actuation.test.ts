import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PointDef } from "../../src/config/profile-schema.js";
import { ManualClock } from "../../src/core/clock.js";
import { LosError } from "../../src/core/errors.js";
import { LiveValues } from "../../src/core/live-values.js";
import { silentLogger, type Actor, type Value } from "../../src/core/types.js";
import { ActuationService, type AuditEntry } from "../../src/devices/actuation.js";
import { openStore, type Store } from "../../src/store/index.js";

const T0 = Date.UTC(2026, 0, 1);

const POINTS: PointDef[] = [
  { name: "temperature", register: "input", address: 0, type: "float32" },
  { name: "door", register: "discrete", address: 0 },
  {
    name: "setpoint",
    register: "holding",
    address: 0,
    type: "float32",
    writable: true,
    envelope: { min: 5, max: 35, maxRatePerSec: 1, safeValue: 15 },
  },
  {
    name: "heater",
    register: "coil",
    address: 0,
    writable: true,
    envelope: { safeValue: false, interlocks: [{ point: "door", op: "==", value: false, when: "nonzero" }] },
  },
  { name: "fan", register: "coil", address: 1, writable: true, envelope: { safeValue: false } },
  { name: "mode", register: "holding", address: 4, writable: true },
];

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** In-memory stand-in for the device manager: the driver itself is tested with the simulators. */
class FakeDevices {
  writes: { device: string; point: string; value: Value }[] = [];
  failNext: unknown[] = [];
  gates: Deferred[] = [];
  started: string[] = [];

  point(deviceId: string, name: string): PointDef | undefined {
    return deviceId === "gh1" ? POINTS.find((p) => p.name === name) : undefined;
  }

  async write(device: string, point: string, value: Value): Promise<void> {
    this.started.push(`${point}=${String(value)}`);
    const gate = this.gates.shift();
    if (gate) await gate.promise;
    const failure = this.failNext.shift();
    if (failure !== undefined) throw failure;
    this.writes.push({ device, point, value });
  }
}

const agent = (id: string, tenant?: string): Actor => (tenant ? { kind: "agent", id, tenant } : { kind: "agent", id });

let dir: string;
let store: Store;
let clock: ManualClock;
let live: LiveValues;
let devices: FakeDevices;
let published: (AuditEntry & { id: number })[];
let service: ActuationService;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "los-actuation-"));
  clock = new ManualClock(T0);
  store = openStore({ dataDir: dir, clock, retention: false });
  live = new LiveValues();
  devices = new FakeDevices();
  published = [];
  service = new ActuationService({
    clock,
    live,
    logger: silentLogger,
    devices,
    audit: store.audit,
    canWrite: (actor, point) => actor.kind === "system" || (actor.id === "climate" && point.startsWith("gh1/")),
    onAudit: (e) => published.push(e),
  });
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function good(point: string, value: Value, ts = clock.now()) {
  live.update([{ point, value, ts, quality: "good" }]);
}

/** Oldest first. */
const auditRows = () => store.audit.list({ limit: 1000 }).reverse();

describe("ActuationService", () => {
  it("an accepted write reaches the driver and is audited in SQLite", async () => {
    good("gh1/door", false);
    const result = await service.actuate({ actor: agent("climate", "farm"), point: "gh1/heater", value: true, reason: "too cold" });
    expect(result).toEqual({ ok: true, auditId: expect.any(Number), point: "gh1/heater", value: true });
    expect(devices.writes).toEqual([{ device: "gh1", point: "heater", value: true }]);
    const rows = auditRows();
    expect(rows).toEqual([
      {
        id: result.auditId,
        ts: T0,
        actor: { kind: "agent", id: "climate", tenant: "farm" },
        point: "gh1/heater",
        value: true,
        reason: "too cold",
        outcome: "accepted",
      },
    ]);
    expect(published).toEqual([{ ...rows[0], id: result.auditId }]);
  });

  it("an unknown point is refused with LOS_E_POINT_UNKNOWN and audited", async () => {
    for (const point of ["gh1/nothing", "gh9/heater", "heater"]) {
      const r = await service.actuate({ actor: agent("climate"), point, value: true, reason: "x" });
      expect(r).toMatchObject({ ok: false, code: "LOS_E_POINT_UNKNOWN", point });
    }
    expect(auditRows().map((r) => [r.point, r.outcome, r.code])).toEqual([
      ["gh1/nothing", "refused", "LOS_E_POINT_UNKNOWN"],
      ["gh9/heater", "refused", "LOS_E_POINT_UNKNOWN"],
      ["heater", "refused", "LOS_E_POINT_UNKNOWN"],
    ]);
    expect(devices.started).toEqual([]);
  });

  it("without the capability the write is refused before the envelope and never reaches the driver", async () => {
    good("gh1/door", false);
    const r = await service.actuate({ actor: agent("intruder"), point: "gh1/heater", value: true, reason: "x" });
    expect(r).toEqual({
      ok: false,
      auditId: expect.any(Number),
      point: "gh1/heater",
      code: "LOS_E_WRITE_NOT_PERMITTED",
      message: 'agent "intruder" may not write gh1/heater',
    });
    expect(devices.started).toEqual([]);
    expect(auditRows()).toEqual([expect.objectContaining({ outcome: "refused", code: "LOS_E_WRITE_NOT_PERMITTED", message: r.ok ? "" : r.message })]);
  });

  it("each envelope refusal is audited with its code and message", async () => {
    good("gh1/door", true);
    good("gh1/setpoint", 20);
    const a = agent("climate");
    const cases: [string, Value, string][] = [
      ["gh1/temperature", 20, "LOS_E_WRITE_READ_ONLY"],
      ["gh1/heater", 1, "LOS_E_WRITE_TYPE"],
      ["gh1/setpoint", 40, "LOS_E_WRITE_OUT_OF_RANGE"],
      ["gh1/setpoint", 25, "LOS_E_WRITE_RATE"],
      ["gh1/heater", true, "LOS_E_WRITE_INTERLOCK"],
    ];
    for (const [point, value, code] of cases) {
      const r = await service.actuate({ actor: a, point, value, reason: `try ${code}` });
      expect(r).toMatchObject({ ok: false, code });
    }
    expect(devices.started).toEqual([]);
    const rows = auditRows();
    expect(rows.map((r) => [r.point, r.value, r.outcome, r.code])).toEqual(cases.map(([p, v, c]) => [p, v, "refused", c]));
    expect(rows.every((r) => typeof r.message === "string" && r.message.length > 0)).toBe(true);
    expect(rows[3]!.previous).toBe(20);
  });

  it("the rate limit counts from the last accepted write, on the injected clock", async () => {
    good("gh1/setpoint", 20);
    const a = agent("climate");
    const step = (value: number) => service.actuate({ actor: a, point: "gh1/setpoint", value, reason: "ramp" });
    clock.advance(2000);
    expect(await step(22)).toMatchObject({ ok: true });
    expect(await step(22.5)).toMatchObject({ ok: false, code: "LOS_E_WRITE_RATE" });
    clock.advance(500);
    expect(await step(22.5)).toMatchObject({ ok: true });
    const rows = auditRows();
    expect(rows.map((r) => [r.value, r.previous, r.outcome])).toEqual([
      [22, 20, "accepted"],
      [22.5, 22, "refused"],
      [22.5, 22, "accepted"],
    ]);
    expect(rows.map((r) => r.ts)).toEqual([T0 + 2000, T0 + 2000, T0 + 2500]);
  });

  it("a driver failure is audited as failed with the driver's coded error", async () => {
    good("gh1/door", false);
    devices.failNext.push(new LosError("LOS_E_DEVICE_TIMEOUT", "gh1 did not answer in 500 ms"));
    const r = await service.actuate({ actor: agent("climate"), point: "gh1/fan", value: true, reason: "vent" });
    expect(r).toEqual({ ok: false, auditId: expect.any(Number), point: "gh1/fan", code: "LOS_E_DEVICE_TIMEOUT", message: "gh1 did not answer in 500 ms" });
    expect(auditRows()).toEqual([expect.objectContaining({ outcome: "failed", code: "LOS_E_DEVICE_TIMEOUT" })]);
  });

  it("an uncoded driver failure becomes LOS_E_WRITE_FAILED", async () => {
    devices.failNext.push(new Error("socket hang up"), new LosError("LOS_E_INTERNAL", "oops"));
    const a = agent("climate");
    expect(await service.actuate({ actor: a, point: "gh1/fan", value: true, reason: "x" })).toMatchObject({ ok: false, code: "LOS_E_WRITE_FAILED", message: "socket hang up" });
    expect(await service.actuate({ actor: a, point: "gh1/fan", value: true, reason: "x" })).toMatchObject({ ok: false, code: "LOS_E_WRITE_FAILED" });
    expect(auditRows().map((r) => r.outcome)).toEqual(["failed", "failed"]);
  });

  it("a failed write is not a base for the rate limit", async () => {
    good("gh1/setpoint", 20);
    clock.advance(1000);
    devices.failNext.push(new LosError("LOS_E_DEVICE_TIMEOUT"));
    const a = agent("climate");
    expect(await service.actuate({ actor: a, point: "gh1/setpoint", value: 21, reason: "x" })).toMatchObject({ code: "LOS_E_DEVICE_TIMEOUT" });
    // still measured from the reading (20 at T0): 1 s later, 22 is too far
    expect(await service.actuate({ actor: a, point: "gh1/setpoint", value: 22, reason: "x" })).toMatchObject({ code: "LOS_E_WRITE_RATE" });
  });

  it("writes to one point are serialised in call order; other points do not wait", async () => {
    const gate = deferred();
    devices.gates.push(gate);
    const a = agent("climate");
    const first = service.actuate({ actor: a, point: "gh1/fan", value: true, reason: "1" });
    const second = service.actuate({ actor: a, point: "gh1/fan", value: false, reason: "2" });
    const other = service.actuate({ actor: a, point: "gh1/mode", value: 3, reason: "3" });
    expect(await other).toMatchObject({ ok: true });
    // the first fan write is still at the driver, the second waits behind it
    expect(devices.started).toEqual(["fan=true", "mode=3"]);
    gate.resolve();
    expect(await first).toMatchObject({ ok: true });
    expect(await second).toMatchObject({ ok: true });
    expect(devices.writes.map((w) => `${w.point}=${String(w.value)}`)).toEqual(["mode=3", "fan=true", "fan=false"]);
    const fanRows = store.audit.list({ point: "gh1/fan" }).reverse();
    expect(fanRows.map((r) => [r.reason, r.previous])).toEqual([
      ["1", undefined],
      ["2", true],
    ]);
  });

  it("a refused write in the queue does not block the next one", async () => {
    const a = agent("climate");
    const results = await Promise.all([
      service.actuate({ actor: a, point: "gh1/fan", value: 7, reason: "bad type" }),
      service.actuate({ actor: a, point: "gh1/fan", value: true, reason: "good" }),
    ]);
    expect(results.map((r) => r.ok)).toEqual([false, true]);
  });

  it("a non-finite value is refused and still audited (the call never throws)", async () => {
    const r = await service.actuate({ actor: agent("climate"), point: "gh1/mode", value: Number.NaN, reason: "bad maths" });
    expect(r).toMatchObject({ ok: false, code: "LOS_E_WRITE_TYPE" });
    expect(auditRows()).toEqual([expect.objectContaining({ point: "gh1/mode", outcome: "refused", code: "LOS_E_WRITE_TYPE" })]);
  });

  it("values an untyped caller may send (null, objects, Infinity) are refused and audited as text", async () => {
    const a = agent("climate");
    for (const value of [null, { on: true }, Number.POSITIVE_INFINITY]) {
      const r = await service.actuate({ actor: a, point: "gh1/mode", value: value as unknown as Value, reason: "untyped" });
      expect(r).toMatchObject({ ok: false, code: "LOS_E_WRITE_TYPE" });
    }
    expect(auditRows().map((r) => r.value)).toEqual(["null", '{"on":true}', "Infinity"]);
  });

  it("when the audit cannot be written the caller sees the error, and the next write to the point still runs", async () => {
    let failOnce = true;
    const flaky = new ActuationService({
      clock,
      live,
      logger: silentLogger,
      devices,
      audit: {
        record: (e) => {
          if (failOnce) {
            failOnce = false;
            throw new LosError("LOS_E_STORE_WRITE", "disk full");
          }
          return store.audit.record(e);
        },
      },
      canWrite: () => true,
    });
    const a = agent("climate");
    const first = flaky.actuate({ actor: a, point: "gh1/fan", value: true, reason: "1" });
    const second = flaky.actuate({ actor: a, point: "gh1/fan", value: false, reason: "2" });
    await expect(first).rejects.toMatchObject({ code: "LOS_E_STORE_WRITE" });
    await expect(second).resolves.toMatchObject({ ok: true });
    expect(auditRows().map((r) => r.reason)).toEqual(["2"]);
  });

  it("a NaN reading of the point is not recorded as the previous value", async () => {
    live.update([{ point: "gh1/mode", value: Number.NaN, ts: T0, quality: "good" }]);
    const r = await service.actuate({ actor: agent("climate"), point: "gh1/mode", value: 2, reason: "reset" });
    expect(r).toMatchObject({ ok: true });
    expect(auditRows()[0]!.previous).toBeUndefined();
  });

  describe("driveToSafe", () => {
    it("writes every declared safe value as the system, skipping rate and interlocks", async () => {
      good("gh1/door", true);
      good("gh1/setpoint", 35);
      const profile = POINTS.map((point) => ({ deviceId: "gh1", point }));
      const results = await service.driveToSafe(profile, "agent climate failed");
      expect(results.map((r) => [r.point, r.ok])).toEqual([
        ["gh1/setpoint", true],
        ["gh1/heater", true],
        ["gh1/fan", true],
      ]);
      expect(devices.writes.map((w) => [w.point, w.value])).toEqual([
        ["setpoint", 15],
        ["heater", false],
        ["fan", false],
      ]);
      const rows = auditRows();
      expect(rows).toHaveLength(3);
      for (const row of rows) {
        expect(row.actor).toEqual({ kind: "system", id: "safety" });
        expect(row.reason).toBe("agent climate failed");
        expect(row.outcome).toBe("accepted");
      }
    });

    it("reports a failed safe write without stopping the others", async () => {
      devices.failNext.push(new LosError("LOS_E_DEVICE_DISCONNECTED", "gh1 is down"));
      const results = await service.driveToSafe(
        POINTS.filter((p) => p.name === "heater" || p.name === "fan").map((point) => ({ deviceId: "gh1", point })),
        "shutdown",
      );
      expect(results.map((r) => r.ok)).toEqual([false, true]);
      expect(auditRows().map((r) => [r.point, r.outcome, r.code ?? null])).toEqual([
        ["gh1/heater", "failed", "LOS_E_DEVICE_DISCONNECTED"],
        ["gh1/fan", "accepted", null],
      ]);
    });

    it("still goes through the capability check", async () => {
      const strict = new ActuationService({
        clock,
        live,
        logger: silentLogger,
        devices,
        audit: store.audit,
        canWrite: () => false,
      });
      const [r] = await strict.driveToSafe([{ deviceId: "gh1", point: POINTS[4]! }], "shutdown");
      expect(r).toMatchObject({ ok: false, code: "LOS_E_WRITE_NOT_PERMITTED" });
    });
  });
});
