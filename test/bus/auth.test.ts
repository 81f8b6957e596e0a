import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker } from "../../src/bus/broker.js";
import { loadOrCreateCredentials } from "../../src/bus/credentials.js";
import { isLosError } from "../../src/core/errors.js";
import { ManualClock } from "../../src/core/clock.js";
import { connectPacket, PACKET, RawClient, subscribePacket } from "./raw-mqtt.js";
import { connectClient, connectResult, recordingLogger, startTestBroker, TEST_SCRYPT, testCredentials, type TestBroker } from "./helpers.js";

describe("credentials file", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "los-bus-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("creates an admin with a random password (0600 files) on first start and keeps it", async () => {
    const first = await loadOrCreateCredentials(dir, [], { scrypt: TEST_SCRYPT });
    expect(first.createdAdmin).toBe(true);
    expect((await stat(first.credentialsFile)).mode & 0o777).toBe(0o600);
    expect((await stat(first.adminPasswordFile)).mode & 0o777).toBe(0o600);
    const password = (await readFile(first.adminPasswordFile, "utf8")).trim();
    expect(password.length).toBeGreaterThanOrEqual(24);
    expect(await readFile(first.credentialsFile, "utf8")).not.toContain(password);
    expect(await first.store.verify("admin", password)).toMatchObject({ username: "admin", role: "admin" });
    expect(await first.store.verify("admin", "wrong")).toBeUndefined();

    const second = await loadOrCreateCredentials(dir, [], { scrypt: TEST_SCRYPT });
    expect(second.createdAdmin).toBe(false);
    expect(await second.store.verify("admin", password)).toBeDefined();
  });

  it("adds config users with the password from the named environment variable", async () => {
    const users = [{ username: "nodered", role: "tenant" as const, tenant: "t1", passwordEnv: "LOS_BUS_PW_NODERED" }];
    const loaded = await loadOrCreateCredentials(dir, users, { scrypt: TEST_SCRYPT, env: { LOS_BUS_PW_NODERED: "s3cret" } });
    expect(await loaded.store.verify("nodered", "s3cret")).toMatchObject({ role: "tenant", tenant: "t1" });
    expect(await loaded.store.verify("nodered", "nope")).toBeUndefined();
  });

  it("a missing password variable is LOS_E_SECRET_MISSING", async () => {
    const users = [{ username: "ha", role: "readonly" as const, passwordEnv: "LOS_BUS_PW_HA" }];
    const err = await loadOrCreateCredentials(dir, users, { env: {} }).catch((e: unknown) => e);
    expect(isLosError(err, "LOS_E_SECRET_MISSING")).toBe(true);
    expect((err as Error).message).toContain("LOS_BUS_PW_HA");
  });
});

describe("listeners and anonymous access", () => {
  it("refuses allowAnonymous on a non-loopback host (LOS_E_CONFIG_INVALID)", async () => {
    const err = await startBroker({
      listeners: [{ kind: "tcp", host: "0.0.0.0", port: 0, allowAnonymous: true }],
      credentials: await testCredentials(),
    }).catch((e: unknown) => e);
    expect(isLosError(err, "LOS_E_CONFIG_INVALID")).toBe(true);
    expect((err as Error).message).toMatch(/loopback/);
  });

  it("a port in use is LOS_E_BUS_LISTEN naming host:port", async () => {
    const t = await startTestBroker();
    try {
      const err = await startBroker({
        listeners: [{ kind: "tcp", host: "127.0.0.1", port: t.authPort }],
        credentials: await testCredentials(),
      }).catch((e: unknown) => e);
      expect(isLosError(err, "LOS_E_BUS_LISTEN")).toBe(true);
      expect((err as Error).message).toContain(`127.0.0.1:${t.authPort}`);
    } finally {
      await t.broker.close();
    }
  });
});

describe("authentication", () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker();
  });
  afterAll(async () => {
    await t.broker.close();
  });

  it("accepts good credentials and records the identity", async () => {
    const c = await connectClient(t.authPort, { clientId: "agent-conn", username: "agent-x", password: "agent-pw" });
    expect(t.broker.identityOf("agent-conn")).toMatchObject({ role: "agent", username: "agent-x", tenant: "t1", listener: "tcp" });
    await c.endAsync();
  });

  it("wrong password → CONNACK 0x04, logged with LOS_E_BUS_AUTH", async () => {
    expect(await connectResult(t.authPort, { username: "admin", password: "nope" })).toBe(4);
    expect(await connectResult(t.authPort, { username: "ghost", password: "nope" })).toBe(4);
    expect(t.logger.entries.some((e) => e.obj.code === "LOS_E_BUS_AUTH" && e.obj.username === "admin")).toBe(true);
    expect(t.broker.stats().authFailuresByIp["127.0.0.1"]).toBeGreaterThanOrEqual(2);
  });

  it("no username on a listener without allowAnonymous → CONNACK 0x05", async () => {
    expect(await connectResult(t.authPort)).toBe(5);
  });

  it("anonymous loopback clients are accepted over TCP and WebSocket, with credentials also checked there", async () => {
    expect(await connectResult(t.anonPort)).toBe(0);
    expect(await connectResult(t.anonPort, { username: "admin", password: "bad" })).toBe(4);
    const ws = await mqtt.connectAsync(`ws://127.0.0.1:${t.wsPort}/mqtt`, { reconnectPeriod: 0 });
    const got = new Promise<string>((resolve) => ws.on("message", (_t, p) => resolve(p.toString())));
    await ws.subscribeAsync("los/v1/ws/#");
    await t.broker.client.publish("los/v1/ws/hello", { hi: 1 });
    expect(await got).toBe('{"hi":1}');
    await ws.endAsync();
  });

  it("default ACL: anonymous may subscribe only inside los/v1/# and publish only device writes", async () => {
    const r = await RawClient.open(t.anonPort);
    r.send(connectPacket({ clientId: "anon-raw", clean: true }));
    expect((await r.connack())?.returnCode).toBe(0);
    const filters = ["los/v1/#", "#", "$SYS/#", "homeassistant/#", "los/+/x"];
    r.send(subscribePacket(3, filters.map((filter) => ({ filter, qos: 1 }))));
    expect([...((await r.next(PACKET.SUBACK))?.body.subarray(2) ?? [])]).toEqual([1, 0x80, 0x80, 0x80, 0x80]);
    r.destroy();
    const anon = await connectClient(t.anonPort);
    await anon.publishAsync("los/v1/s/g/devices/pump/write", JSON.stringify({ point: "on", value: true, reason: "t" }));
    const closed = new Promise<void>((resolve) => anon.once("close", () => resolve()));
    anon.publish("los/v1/s/g/agents/a/status", "spoof");
    await closed;
    await anon.endAsync(true);
    expect(t.logger.entries.some((e) => e.obj.code === "LOS_E_BUS_NOT_AUTHORIZED" && e.obj.topic === "los/v1/s/g/agents/a/status")).toBe(true);
  });

  it("default ACL: readonly may subscribe but not publish; nobody publishes to $SYS", async () => {
    const ro = await connectClient(t.authPort, { username: "viewer", password: "viewer-pw" });
    expect((await ro.subscribeAsync("los/v1/#")).map((g) => g.qos)).toEqual([0]);
    const closed = new Promise<void>((resolve) => ro.once("close", () => resolve()));
    ro.publish("los/v1/x", "no");
    await closed;
    await ro.endAsync(true);
    const admin = await connectClient(t.authPort, { username: "admin", password: "admin-pw" });
    const closedAdmin = new Promise<void>((resolve) => admin.once("close", () => resolve()));
    admin.publish("$SYS/fake", "no");
    await closedAdmin;
    await admin.endAsync(true);
  });

  it("a will topic the identity may not publish to refuses the CONNECT with 0x05", async () => {
    expect(await connectResult(t.anonPort, { will: { topic: "los/v1/s/g/status", payload: Buffer.from("x"), qos: 0, retain: false } })).toBe(5);
  });
});

describe("failure rate limit", () => {
  it("refuses an address after maxFailures within the window, counts it, and forgives after the window", async () => {
    const clock = new ManualClock();
    const t = await startTestBroker({ clock, authFailureLimit: { maxFailures: 3, windowMs: 60_000 }, logger: recordingLogger() });
    try {
      for (let i = 0; i < 3; i++) expect(await connectResult(t.authPort, { username: "admin", password: "bad" })).toBe(4);
      // now even the right password is refused without a check
      expect(await connectResult(t.authPort, { username: "admin", password: "admin-pw" })).toBe(5);
      expect(t.broker.stats()).toMatchObject({ authFailures: 3, rateLimited: 1 });
      clock.advance(60_000);
      expect(await connectResult(t.authPort, { username: "admin", password: "admin-pw" })).toBe(0);
    } finally {
      await t.broker.close();
    }
  });

  it("maxClients refuses further clients with 0x03", async () => {
    const t = await startTestBroker({ limits: { maxClients: 1 } });
    try {
      const c = await connectClient(t.anonPort);
      expect(await connectResult(t.anonPort)).toBe(3);
      await c.endAsync();
    } finally {
      await t.broker.close();
    }
  });
});
