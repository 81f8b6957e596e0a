import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startBroker, type BrokerHandle } from "../../src/bus/broker.js";
import { createCredentialStore } from "../../src/bus/credentials.js";
import type { PointDef } from "../../src/config/profile-schema.js";
import { ManualClock } from "../../src/core/clock.js";
import { LiveValues } from "../../src/core/live-values.js";
import { silentLogger, type Actor, type Value } from "../../src/core/types.js";
import { ActuationService } from "../../src/devices/actuation.js";
import { openStore, type Store } from "../../src/store/index.js";
import { FactsRepo } from "../../src/store/facts-repo.js";
import { LeasesRepo } from "../../src/store/leases-repo.js";
import { openDatabase } from "../../src/store/sqlite.js";
import { createCoordination, type Coordination } from "../../src/tasks/coordination.js";

const POINTS: PointDef[] = [
  { name: "vent", register: "holding", address: 0, writable: true, envelope: { min: 0, max: 100, safeValue: 0 } },
  { name: "heater", register: "coil", address: 0, writable: true, envelope: { safeValue: false } },
];

/** The device layer as ActuationService sees it (drivers are tested against their simulators). */
class Devices {
  writes: string[] = [];
  gate: Promise<void> | undefined;
  point(deviceId: string, name: string): PointDef | undefined {
    return deviceId === "gh1" ? POINTS.find((p) => p.name === name) : undefined;
  }
  async write(device: string, point: string, value: Value): Promise<void> {
    if (this.gate) await this.gate;
    this.writes.push(`${device}/${point}=${String(value)}`);
  }
}

const agent = (id: string): Actor => ({ kind: "agent", id });

describe("actuation path with leases and idempotency keys", () => {
  let dir: string;
  let store: Store;
  let clock: ManualClock;
  let devices: Devices;
  let broker: BrokerHandle;
  let coord: Coordination;
  let service: ActuationService;
  const dbs: ReturnType<typeof openDatabase>[] = [];

  const build = (requireLease: string[] = []) => {
    // the gateway will hand the store's own connection; a second one to the same file behaves alike
    const db = openDatabase(join(dir, "state.db"), { synchronous: "FULL" });
    dbs.push(db);
    coord = createCoordination({
      store: { leases: new LeasesRepo(db), facts: new FactsRepo(db) },
      bus: broker.client,
      scope: { site: "s1", gateway: "g1" },
      clock,
      requireLease,
      canWrite: (actor) => actor.kind === "agent",
      agentTenant: () => undefined,
      driveToSafe: (point, reason) => {
        const [device, name] = point.split("/");
        const def = devices.point(device!, name!);
        return service.driveToSafe(def ? [{ deviceId: device!, point: def }] : [], reason);
      },
      siteId: "s1",
    });
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "los-act-lease-"));
    clock = new ManualClock();
    store = openStore({ dataDir: dir, clock, retention: false });
    devices = new Devices();
    broker = await startBroker({ listeners: [{ kind: "tcp", host: "127.0.0.1", port: 0, allowAnonymous: true }], credentials: createCredentialStore([]) });
    build();
    service = new ActuationService({
      clock,
      live: new LiveValues(),
      logger: silentLogger,
      devices,
      audit: store.audit,
      canWrite: (actor) => actor.kind === "agent" || actor.kind === "system",
      checkLease: (actor, point) => coord.checkWrite(actor, point),
    });
  });

  afterEach(async () => {
    coord.close();
    for (const db of dbs.splice(0)) db.close();
    await broker.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rows = () => store.audit.list({ limit: 100 }).reverse();

  it("two agents claiming one actuator: one lease, the other's write is refused and audited", async () => {
    expect(await coord.handle("a", { op: "lease.acquire", point: "gh1/vent", ttlMs: 5000 })).toMatchObject({ ok: true, lease: { holder: "a" } });
    expect(await coord.handle("b", { op: "lease.acquire", point: "gh1/vent", ttlMs: 5000 })).toMatchObject({ ok: false, code: "LOS_E_LEASE_CONFLICT", holder: "a" });
    const b = await service.actuate({ actor: agent("b"), point: "gh1/vent", value: 80, reason: "b wants air" });
    expect(b).toMatchObject({ ok: false, code: "LOS_E_LEASE_CONFLICT" });
    const a = await service.actuate({ actor: agent("a"), point: "gh1/vent", value: 30, reason: "a holds it" });
    expect(a).toMatchObject({ ok: true, value: 30 });
    expect(devices.writes).toEqual(["gh1/vent=30"]);
    expect(rows().map((r) => [r.actor.id, r.outcome, r.code])).toEqual([
      ["b", "refused", "LOS_E_LEASE_CONFLICT"],
      ["a", "accepted", undefined],
    ]);
  });

  it("the lease step comes after the capability and before the envelope", async () => {
    await coord.handle("a", { op: "lease.acquire", point: "gh1/vent", ttlMs: 5000 });
    // out of range and not the holder: the lease refuses first
    expect(await service.actuate({ actor: agent("b"), point: "gh1/vent", value: 500, reason: "x" })).toMatchObject({ code: "LOS_E_LEASE_CONFLICT" });
    // not permitted at all: the capability refuses first
    expect(await service.actuate({ actor: { kind: "mqtt", id: "m" }, point: "gh1/vent", value: 5, reason: "x" })).toMatchObject({ code: "LOS_E_WRITE_NOT_PERMITTED" });
    expect(await service.actuate({ actor: agent("a"), point: "gh1/vent", value: 500, reason: "x" })).toMatchObject({ code: "LOS_E_WRITE_OUT_OF_RANGE" });
  });

  it("requireLease points refuse writes without a lease", async () => {
    coord.close();
    build(["gh1/heater"]);
    const r = await service.actuate({ actor: agent("a"), point: "gh1/heater", value: true, reason: "x" });
    expect(r).toMatchObject({ ok: false, code: "LOS_E_LEASE_CONFLICT", message: expect.stringContaining("no lease held") });
    expect(await service.actuate({ actor: agent("a"), point: "gh1/vent", value: 10, reason: "free point" })).toMatchObject({ ok: true });
    await coord.handle("a", { op: "lease.acquire", point: "gh1/heater", ttlMs: 1000 });
    expect(await service.actuate({ actor: agent("a"), point: "gh1/heater", value: true, reason: "x" })).toMatchObject({ ok: true });
    expect(devices.writes).toEqual(["gh1/vent=10", "gh1/heater=true"]);
  });

  it("an expired actuator lease drives the point to its safe value (audited as the gateway); a released one does not", async () => {
    await coord.handle("a", { op: "lease.acquire", point: "gh1/vent", ttlMs: 1000 });
    await service.actuate({ actor: agent("a"), point: "gh1/vent", value: 60, reason: "open" });
    await coord.handle("a", { op: "lease.acquire", point: "gh1/heater", ttlMs: 1000 });
    await coord.handle("a", { op: "lease.release", point: "gh1/heater" });
    clock.advance(1000);
    for (let i = 0; i < 50 && devices.writes.length < 2; i++) await new Promise((r) => setImmediate(r));
    expect(devices.writes).toEqual(["gh1/vent=60", "gh1/vent=0"]);
    expect(rows().at(-1)).toMatchObject({ actor: { kind: "system", id: "safety" }, point: "gh1/vent", value: 0, outcome: "accepted" });
    expect(rows().at(-1)?.reason).toContain("lease of agent a on gh1/vent expired");
  });

  it("safe-value writes bypass leases", async () => {
    await coord.handle("a", { op: "lease.acquire", point: "gh1/vent", ttlMs: 5000 });
    const [r] = await service.driveToSafe([{ deviceId: "gh1", point: POINTS[0]! }], "agent b died");
    expect(r).toMatchObject({ ok: true, value: 0 });
  });

  describe("idempotency keys", () => {
    it("a retried write with the same key is replayed, not repeated, across attempts and agents", async () => {
      const key = "task:t1:gh1/vent:1";
      const first = await service.actuate({ actor: agent("a"), point: "gh1/vent", value: 40, reason: "attempt 1", idempotencyKey: key });
      expect(first).toEqual({ ok: true, auditId: expect.any(Number), point: "gh1/vent", value: 40 });
      // the task is re-run by another agent after a dies: same key
      const again = await service.actuate({ actor: agent("b"), point: "gh1/vent", value: 40, reason: "attempt 2", idempotencyKey: key });
      expect(again).toEqual({ ok: true, auditId: first.auditId, point: "gh1/vent", value: 40, replayed: true });
      expect(devices.writes).toEqual(["gh1/vent=40"]);
      expect(rows()).toHaveLength(1);
      expect(store.audit.acceptedByKey(key)).toMatchObject({ id: first.auditId, idemKey: key });
      // another n is another write
      await service.actuate({ actor: agent("b"), point: "gh1/vent", value: 45, reason: "attempt 2", idempotencyKey: "task:t1:gh1/vent:2" });
      expect(devices.writes).toEqual(["gh1/vent=40", "gh1/vent=45"]);
    });

    it("a replay says when a later write undid the keyed one (the dead-man's safe value), and the next write of the point actuates", async () => {
      const key = "task:t5:gh1/vent:1";
      const first = await service.actuate({ actor: agent("a"), point: "gh1/vent", value: 40, reason: "attempt 1", idempotencyKey: key });
      const [safe] = await service.driveToSafe([{ deviceId: "gh1", point: POINTS[0]! }], "agent a died");
      expect(safe).toMatchObject({ ok: true, value: 0 });
      const again = await service.actuate({ actor: agent("b"), point: "gh1/vent", value: 40, reason: "attempt 2", idempotencyKey: key });
      expect(again).toEqual({ ok: true, auditId: first.auditId, point: "gh1/vent", value: 40, replayed: true, superseded: { auditId: safe!.auditId, value: 0 } });
      // the task restores the point with its next write, which has the next key
      const restore = await service.actuate({ actor: agent("b"), point: "gh1/vent", value: 40, reason: "restore", idempotencyKey: "task:t5:gh1/vent:2" });
      expect(restore).toMatchObject({ ok: true });
      expect(restore.ok && restore.replayed).toBeFalsy();
      expect(devices.writes).toEqual(["gh1/vent=40", "gh1/vent=0", "gh1/vent=40"]);
      // a third attempt replays both writes; the second is still in force
      const third = await service.actuate({ actor: agent("c"), point: "gh1/vent", value: 40, reason: "attempt 3", idempotencyKey: "task:t5:gh1/vent:2" });
      expect(third).toEqual({ ok: true, auditId: restore.auditId, point: "gh1/vent", value: 40, replayed: true });
    });

    it("a refused attempt does not consume the key", async () => {
      const key = "task:t2:gh1/vent:1";
      await coord.handle("a", { op: "lease.acquire", point: "gh1/vent", ttlMs: 1000 });
      expect(await service.actuate({ actor: agent("b"), point: "gh1/vent", value: 20, reason: "r", idempotencyKey: key })).toMatchObject({ ok: false, code: "LOS_E_LEASE_CONFLICT" });
      expect(await service.actuate({ actor: agent("b"), point: "gh1/vent", value: 200, reason: "r", idempotencyKey: key })).toMatchObject({ ok: false });
      await coord.handle("a", { op: "lease.release", point: "gh1/vent" });
      const ok = await service.actuate({ actor: agent("b"), point: "gh1/vent", value: 20, reason: "r", idempotencyKey: key });
      expect(ok).toMatchObject({ ok: true });
      expect(ok.ok && ok.replayed).toBeFalsy();
      expect(devices.writes).toEqual(["gh1/vent=20"]);
      expect(rows().map((r) => [r.outcome, r.idemKey])).toEqual([
        ["refused", key],
        ["refused", key],
        ["accepted", key],
      ]);
    });

    it("two concurrent attempts with one key actuate once", async () => {
      let open!: () => void;
      devices.gate = new Promise((r) => (open = r));
      const key = "task:t3:gh1/vent:1";
      const one = service.actuate({ actor: agent("a"), point: "gh1/vent", value: 10, reason: "a", idempotencyKey: key });
      const two = service.actuate({ actor: agent("b"), point: "gh1/vent", value: 10, reason: "b", idempotencyKey: key });
      open();
      const [r1, r2] = await Promise.all([one, two]);
      expect(devices.writes).toEqual(["gh1/vent=10"]);
      expect(r2).toMatchObject({ ok: true, replayed: true, auditId: r1.auditId });
    });

    it("a key used for another point or malformed is refused", async () => {
      await service.actuate({ actor: agent("a"), point: "gh1/vent", value: 10, reason: "a", idempotencyKey: "k1" });
      expect(await service.actuate({ actor: agent("a"), point: "gh1/heater", value: true, reason: "a", idempotencyKey: "k1" })).toMatchObject({ ok: false, code: "LOS_E_REQUEST_INVALID" });
      expect(await service.actuate({ actor: agent("a"), point: "gh1/heater", value: true, reason: "a", idempotencyKey: "" })).toMatchObject({ ok: false, code: "LOS_E_REQUEST_INVALID" });
      expect(devices.writes).toEqual(["gh1/vent=10"]);
    });

    it("the key survives a restart of the store", async () => {
      const key = "task:t4:gh1/vent:1";
      await service.actuate({ actor: agent("a"), point: "gh1/vent", value: 33, reason: "a", idempotencyKey: key });
      await store.close();
      store = openStore({ dataDir: dir, clock, retention: false });
      const fresh = new ActuationService({ clock, live: new LiveValues(), logger: silentLogger, devices, audit: store.audit, canWrite: () => true });
      expect(await fresh.actuate({ actor: agent("a"), point: "gh1/vent", value: 33, reason: "after restart", idempotencyKey: key })).toMatchObject({ ok: true, replayed: true });
      expect(devices.writes).toEqual(["gh1/vent=33"]);
    });
  });
});
