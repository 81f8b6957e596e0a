/**
 * Hostile agents in worker threads: each is contained and reported with a coded reason while a
 * healthy neighbour in another worker keeps getting readings and actuating.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WorkerHost } from "../../../src/agents/hosts/worker-host.js";
import { fixtureOptions, IN, published, reading, until, type FixtureOptions, type Recorded } from "./host-harness.js";

const started: WorkerHost[] = [];
function make(fixture: string, o: FixtureOptions = {}, startTimeoutMs = 15_000): { host: WorkerHost; rec: Recorded } {
  const { options, rec } = fixtureOptions("worker", fixture, o);
  const host = new WorkerHost(options, { startTimeoutMs });
  started.push(host);
  return { host, rec };
}
async function running(fixture: string, o: FixtureOptions = {}) {
  const h = make(fixture, o);
  await h.host.start();
  return h;
}

let neighbour: { host: WorkerHost; rec: Recorded };
let nextValue = 1000;
/** the healthy agent still reads and actuates: a fresh value comes back actuated */
async function neighbourWorks(): Promise<void> {
  const value = nextValue++;
  neighbour.host.deliver([reading(IN, value)]);
  const echo = await until(() => published<{ value: number; actuation: { ok: boolean } }>(neighbour.rec, "echo", (p) => p.value === value), `the neighbour's echo of ${value}`);
  expect(echo.actuation.ok).toBe(true);
}

beforeAll(async () => {
  neighbour = make("probe.mjs", { id: "neighbour" });
  await neighbour.host.start();
});
afterEach(async () => {
  await Promise.all(started.splice(1).map((h) => h.stop(500)));
});
afterAll(async () => {
  await Promise.all(started.splice(0).map((h) => h.stop(500)));
});

describe("worker host against hostile agents", () => {
  it("busy loop: no more heartbeats, CPU time still counted, kill() ends it with the reason; the neighbour keeps working", async () => {
    const { host, rec } = await running("busy-loop.mjs");
    host.deliver([reading(IN, 1)]);
    await until(() => published(rec, "report"), "the agent entering its loop");
    const beats = rec.heartbeats.length;
    const cpuAtLoop = host.usage().cpuMs;
    const neighbourBeats = neighbour.rec.heartbeats.length;
    await neighbourWorks();
    await until(() => neighbour.rec.heartbeats.length >= neighbourBeats + 3, "three neighbour heartbeats");
    expect(rec.heartbeats.length).toBe(beats);
    expect(host.usage().cpuMs).toBeGreaterThan(cpuAtLoop);
    host.kill({ code: "LOS_E_AGENT_HUNG", message: "no heartbeat for 300 ms" });
    expect(await until(() => rec.exits[0], "the exit")).toEqual({ code: "LOS_E_AGENT_HUNG", message: "no heartbeat for 300 ms" });
    expect(host.alive).toBe(false);
    await neighbourWorks();
  });

  it("memory bomb: LOS_E_AGENT_OUT_OF_MEMORY at its heap limit; the gateway process and the neighbour live on", async () => {
    const { host, rec } = await running("memory-bomb.mjs", { heapMB: 16 });
    host.deliver([reading(IN, 1)]);
    const exit = await until(() => rec.exits[0], "the exit", 15_000);
    expect(exit.code).toBe("LOS_E_AGENT_OUT_OF_MEMORY");
    expect(exit.message).toMatch(/16 MB/);
    expect(host.alive).toBe(false);
    await neighbourWorks();
  });

  it("process.exit() inside the agent ends only its thread: LOS_E_AGENT_CRASHED with the exit code", async () => {
    const { host, rec } = await running("crash.mjs", { settings: { how: "exit" } });
    host.deliver([reading(IN, 1)]);
    const exit = await until(() => rec.exits[0], "the exit");
    expect(exit).toEqual({ code: "LOS_E_AGENT_CRASHED", message: 'agent "crash" exited with code 3' });
    await neighbourWorks();
  });

  it("publish flood: every request goes through the gateway's calls, the excess comes back refused with its code", async () => {
    const { host, rec } = await running("flood-publish.mjs", { settings: { count: 3000 }, publishLimit: 100 });
    host.deliver([reading(IN, 1)]);
    await neighbourWorks();
    const report = await until(() => published<{ ok: number; refused: Record<string, number> }>(rec, "report"), "the flood report");
    expect(report).toEqual({ sent: 3000, ok: 100, refused: { LOS_E_AGENT_RATE_LIMITED: 2900 } });
    expect(rec.published.filter((p) => p.subtopic === "flood")).toHaveLength(100);
    expect(rec.exits).toEqual([]);
  });

  it("a malformed message is counted and the agent keeps running; 100 in a row kill it with LOS_E_AGENT_PROTOCOL", async () => {
    const one = await running("garbage.mjs", { id: "garbage-one", settings: { count: 1 } });
    one.host.deliver([reading(IN, 1)]);
    await until(() => one.host.malformed === 1, "the malformed message");
    const beats = one.rec.heartbeats.length;
    await until(() => one.rec.heartbeats.length > beats, "a heartbeat after it");
    expect(one.rec.exits).toEqual([]);

    const many = await running("garbage.mjs", { id: "garbage-many", settings: { count: 150 } });
    many.host.deliver([reading(IN, 1)]);
    const exit = await until(() => many.rec.exits[0], "the exit");
    expect(exit.code).toBe("LOS_E_AGENT_PROTOCOL");
    expect(many.host.malformed).toBeGreaterThanOrEqual(100);
    await neighbourWorks();
  });

  it("an agent that never reports ready: LOS_E_AGENT_START_TIMEOUT and no thread left", async () => {
    const { host, rec } = make("never-ready.mjs", {}, 300);
    await expect(host.start()).rejects.toMatchObject({ code: "LOS_E_AGENT_START_TIMEOUT" });
    expect(host.alive).toBe(false);
    expect(rec.exits).toEqual([]);
  });

  it("stdout and stderr go to the gateway log, bounded per second and per line", async () => {
    const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
    const logger = (fields: Record<string, unknown>): import("../../../src/core/types.js").Logger => {
      const at = (level: string) => (obj: object | string, msg?: string) =>
        void lines.push({ level, msg: typeof obj === "string" ? obj : (msg ?? ""), fields: typeof obj === "string" ? fields : { ...fields, ...obj } });
      return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), child: (b) => logger({ ...fields, ...b }) };
    };
    const { options, rec } = fixtureOptions("worker", "noisy.mjs", { settings: { lines: 200 } });
    const host = new WorkerHost({ ...options, logger: logger({}) }, { startTimeoutMs: 15_000 });
    started.push(host);
    await host.start();
    host.deliver([reading(IN, 1)]);
    await until(() => published(rec, "report"), "the report");
    await host.stop(2000);
    const out = lines.filter((l) => l.fields.stream === "stdout" && l.level === "info");
    expect(out.length).toBeGreaterThan(0);
    expect(out.length).toBeLessThanOrEqual(50);
    expect(out[0]).toMatchObject({ msg: "line 0", fields: { agent: "noisy", host: "worker", stream: "stdout" } });
    const dropped = lines.filter((l) => l.msg === "agent output dropped (too many lines)" && l.fields.stream === "stdout");
    expect(dropped.reduce((n, l) => n + (l.fields.dropped as number), 0)).toBe(200 - out.length);
    const long = lines.find((l) => l.fields.stream === "stderr" && l.level === "warn" && l.msg.startsWith("xxx"));
    expect(long?.msg).toBe(`${"x".repeat(1000)}… (cut)`);
  });
});

describe("what a worker does and does not isolate", () => {
  const secret = "LOS_TEST_GATEWAY_SECRET";
  let dataDir: string;
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    process.env[secret] = "s3cret";
    dataDir = mkdtempSync(join(tmpdir(), "los-worker-"));
    server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    delete process.env[secret];
    rmSync(dataDir, { recursive: true, force: true });
    await new Promise((r) => server.close(r));
  });

  it("the agent's environment is empty: the gateway's secrets in process.env are out of its reach", async () => {
    const { host, rec } = await running("read-files.mjs", { dataDir, settings: { dataDir, envName: secret } });
    host.deliver([reading(IN, 1)]);
    const report = await until(() => published<{ env: { keys: string[]; secret: string | null } }>(rec, "report"), "the report");
    expect(report.env).toEqual({ keys: [], secret: null });
  });

  it("is no boundary for files, sockets or child processes (docs/isolation.md: use isolation process)", async () => {
    const files = await running("read-files.mjs", { id: "files", settings: { dataDir } });
    const socket = await running("open-socket.mjs", { id: "socket", settings: { port } });
    const spawn = await running("spawn-child.mjs", { id: "spawn" });
    for (const a of [files, socket, spawn]) a.host.deliver([reading(IN, 1)]);
    const f = await until(() => published<{ passwd: { ok: boolean }; dataDir: { ok: boolean } }>(files.rec, "report"), "the files report");
    const s = await until(() => published<{ socket: { ok: boolean } }>(socket.rec, "report"), "the socket report");
    const c = await until(() => published<{ spawn: { ok: boolean; output?: string } }>(spawn.rec, "report"), "the spawn report");
    expect([f.passwd.ok, f.dataDir.ok, s.socket.ok, c.spawn]).toEqual([true, true, true, { ok: true, output: "spawned" }]);
  });
});
