/**
 * The process host with its real layers: a child process under Node's permission model, inside
 * bubblewrap, in a cgroup on this box's cgroup file system. Hostile probes are refused and reported;
 * memory bombs end as LOS_E_AGENT_OUT_OF_MEMORY; the gateway side stays up.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { processTree } from "../../../src/agents/isolation/process-tree-cpu.js";
import { probeAgent, waitFor, type Probe } from "./process-harness.js";

const SCHED_IDLE = 5;

async function waitUntilValue<T>(get: () => T | undefined, what: string): Promise<T> {
  await waitFor(() => get() !== undefined, what);
  return get()!;
}

const running: Probe[] = [];
function probe(...args: Parameters<typeof probeAgent>): Probe {
  const p = probeAgent(...args);
  running.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.cleanup()));
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("process host: life cycle", () => {
  it("starts, reports heartbeats with CPU time and heap, and stops on request without an exit report", async () => {
    const p = probe({ probe: "idle" }, { heartbeatMs: 50 });
    await p.host.start();
    expect(await p.outcome()).toMatchObject({ probe: "idle", ok: true });
    await waitFor(() => p.heartbeats.some((h) => (h.decisions ?? 0) >= 1), "a heartbeat after the first decision");
    const usage = p.host.usage();
    expect(usage.cpuMs).toBeGreaterThan(0);
    expect(usage.heapBytes).toBeGreaterThan(0);
    const pid = p.host.pid!;
    expect(p.host.sandbox).toMatchObject({ permissionModel: true, bwrap: true, heapMB: 32 });
    expect(readdirSync(join(p.dataDir, "process-agents")).filter((f) => f.startsWith("probe."))).toHaveLength(1);
    await p.host.stop(2000);
    expect(alive(pid)).toBe(false);
    expect(p.exits).toEqual([]);
    // this run's bundle of the agent module is gone with it
    expect(readdirSync(join(p.dataDir, "process-agents")).filter((f) => f.startsWith("probe."))).toEqual([]);
  });

  it("forwards readings to the agent and its actuation requests to the gateway's calls", async () => {
    const p = probe(
      {},
      {
        id: "threshold",
        capabilities: { read: ["gh1/t"], write: ["gh1/fan"] },
        policy: { kind: "module", file: "config/agents/threshold-agent.ts", options: { point: "gh1/t", actuator: "gh1/fan", above: 25 } },
      },
    );
    await p.host.start();
    p.host.deliver([{ point: "gh1/t", value: 30, ts: Date.now(), quality: "good" }]);
    await waitFor(() => p.actuations.length > 0, "an actuation request");
    expect(p.actuations[0]).toEqual({ point: "gh1/fan", value: true, reason: "threshold 25" });
  });

  it("kill(reason) ends the whole sandbox and reports that reason", async () => {
    const p = probe({ probe: "idle" });
    await p.host.start();
    const pid = p.host.pid!;
    p.host.kill({ code: "LOS_E_AGENT_HUNG", message: "watchdog" });
    await waitFor(() => p.exits.length > 0, "the exit report");
    expect(p.exits).toEqual([{ code: "LOS_E_AGENT_HUNG", message: "watchdog" }]);
    expect(alive(pid)).toBe(false);
  });

  it("process.exit in the agent is LOS_E_AGENT_CRASHED with the exit code", async () => {
    const p = probe({ how: "exit" }, { capabilities: { read: ["dev/in"] }, policy: { kind: "module", file: "agents/crash.mjs", options: { how: "exit" } } });
    await p.host.start();
    p.host.deliver([{ point: "dev/in", value: 1, ts: Date.now(), quality: "good" }]);
    await waitFor(() => p.exits.length > 0, "the exit report");
    expect(p.exits[0]).toEqual({ code: "LOS_E_AGENT_CRASHED", message: expect.stringContaining("exit code 3") });
  });

  it("an uncaught error ends the process as LOS_E_AGENT_CRASHED with the error's message", async () => {
    const p = probe({ probe: "crash" });
    await p.host.start();
    await waitFor(() => p.exits.length > 0, "the exit report");
    expect(p.exits[0]!.code).toBe("LOS_E_AGENT_CRASHED");
    expect(p.exits[0]!.message).toMatch(/probe crashes on purpose/);
    expect(p.host.alive).toBe(false);
    expect(p.logs.some((l) => l.obj.code === "LOS_E_AGENT_CRASHED" && l.obj.err === "probe crashes on purpose")).toBe(true);
  });

  it("a message outside the agent protocol ends the agent as LOS_E_AGENT_PROTOCOL", async () => {
    const p = probe({ probe: "garbage" });
    await p.host.start();
    await waitFor(() => p.exits.length > 0, "the exit report");
    expect(p.exits[0]!.code).toBe("LOS_E_AGENT_PROTOCOL");
  });

  it("a module that cannot be built fails start with LOS_E_AGENT_CONFIG and leaves nothing running", async () => {
    const p = probe({}, { policy: { kind: "module", file: "config/agents/no-factory.ts" } });
    await expect(p.host.start()).rejects.toMatchObject({ code: "LOS_E_AGENT_CONFIG" });
    expect(p.host.pid).toBeUndefined();
  });
});

describe("process host: what the agent may not do", () => {
  it("reading /etc/passwd or the data dir is refused by the permission model", async () => {
    const etc = probe({ probe: "read-file", path: "/etc/passwd" });
    await etc.host.start();
    expect(await etc.outcome()).toMatchObject({ ok: false, code: "ERR_ACCESS_DENIED" });

    const settings = { probe: "read-file", path: "" };
    const secret = probe(settings);
    settings.path = join(secret.dataDir, "secret.txt");
    writeFileSync(settings.path, "hunter2");
    await secret.host.start();
    expect(await secret.outcome()).toMatchObject({ ok: false, code: "ERR_ACCESS_DENIED" });
  });

  it("a module that reads a forbidden file while it is built fails start with LOS_E_AGENT_FORBIDDEN", async () => {
    const p = probe({ probe: "read-at-build" });
    await expect(p.host.start()).rejects.toMatchObject({ code: "LOS_E_AGENT_FORBIDDEN" });
    expect(p.host.alive).toBe(false);
  });

  it("writing a file, spawning a process and starting a worker are refused", async () => {
    for (const what of ["write-file", "spawn", "worker"]) {
      const p = probe({ probe: what, path: "/tmp/los-probe-write.txt" });
      await p.host.start();
      expect(await p.outcome(), what).toMatchObject({ ok: false, code: "ERR_ACCESS_DENIED" });
      await p.host.stop(1000);
    }
    expect(existsSync("/tmp/los-probe-write.txt")).toBe(false);
  });

  it("has no network: a TCP connect to a listening 127.0.0.1 port fails and the server sees nobody", async () => {
    let connections = 0;
    const server: Server = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as { port: number };
    try {
      const p = probe({ probe: "connect", port });
      await p.host.start();
      expect(await p.outcome()).toMatchObject({ ok: false });
      expect(connections).toBe(0);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it("a forbidden call the agent lets escape is logged as LOS_E_AGENT_FORBIDDEN and the agent keeps running", async () => {
    const p = probe({ probe: "escape-forbidden" }, { heartbeatMs: 50 });
    await p.host.start();
    await waitFor(() => p.logs.some((l) => l.obj.code === "LOS_E_AGENT_FORBIDDEN"), "the forbidden log line");
    const line = p.logs.find((l) => l.obj.code === "LOS_E_AGENT_FORBIDDEN")!;
    expect(line.obj).toMatchObject({ permission: "FileSystemRead", resource: "/etc/shadow" });
    const beats = p.heartbeats.length;
    await waitFor(() => p.heartbeats.length > beats + 1, "heartbeats after the refusal");
    expect(p.exits).toEqual([]);
  });

  it("a heap bomb ends as LOS_E_AGENT_OUT_OF_MEMORY", async () => {
    const p = probe({ probe: "heap-bomb" });
    await p.host.start();
    await waitFor(() => p.exits.length > 0, "the exit report");
    expect(p.exits[0]).toMatchObject({ code: "LOS_E_AGENT_OUT_OF_MEMORY" });
    expect(p.exits[0]!.message).toMatch(/heap limit of 32 MB/);
  });
});

describe("process host: sandbox configuration", () => {
  it("bwrap required but missing: start fails with LOS_E_AGENT_SANDBOX naming the path", async () => {
    const p = probe({ probe: "idle" }, {}, { bwrap: "required", bwrapPath: "/nonexistent/bwrap" });
    await expect(p.host.start()).rejects.toMatchObject({ code: "LOS_E_AGENT_SANDBOX", message: expect.stringContaining("/nonexistent/bwrap") });
    expect(p.host.pid).toBeUndefined();
  });

  it("bwrap auto without bwrap still runs the agent under the permission model and says so", async () => {
    const p = probe({ probe: "read-file", path: "/etc/passwd" }, {}, { bwrap: "auto", bwrapPath: "/nonexistent/bwrap" });
    await p.host.start();
    expect(p.host.sandbox?.bwrap).toBe(false);
    expect(await p.outcome()).toMatchObject({ ok: false, code: "ERR_ACCESS_DENIED" });
  });
});

describe("process host: cgroups on this box", () => {
  it("puts the agent in its own cgroup with the configured CPU and memory limits, removed after stop", async () => {
    const p = probe({ probe: "idle" }, { limits: { heapMB: 40, cpuPercent: 25 } }, { memoryHeadroomMB: 24 });
    await p.host.start();
    const cg = p.host.sandbox?.cgroup;
    if (!cg || "notEnforced" in cg) throw new Error(`cgroups not enforced here: ${JSON.stringify(cg)}`);
    expect(cg.memoryBytes).toBe((40 + 24) * 1024 * 1024);
    expect(cg.cpu).toBe("25000 100000");
    const pid = p.host.pid!;
    for (const dir of cg.paths) {
      const pids = readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
      expect(pids).toContain(pid);
      // bwrap's init and node run in there too: everything of the sandbox is inside
      const node = pids.find((q) => q !== pid && readFileSync(`/proc/${q}/cmdline`, "utf8").includes("process-entry"));
      expect(node).toBeDefined();
    }
    const read = (name: string) => {
      const dir = cg.paths.find((d) => existsSync(join(d, name)));
      return dir ? readFileSync(join(dir, name), "utf8").trim() : undefined;
    };
    if (cg.version === 1) {
      expect(read("memory.limit_in_bytes")).toBe(String((40 + 24) * 1024 * 1024));
      expect(read("cpu.cfs_quota_us")).toBe("25000");
      expect(read("cpu.cfs_period_us")).toBe("100000");
    } else {
      expect(read("memory.max")).toBe(String((40 + 24) * 1024 * 1024));
      expect(read("cpu.max")).toBe("25000 100000");
    }
    await p.host.stop(2000);
    for (const dir of cg.paths) expect(existsSync(dir)).toBe(false);
  });

  it("memory outside the V8 heap is stopped by the cgroup limit: LOS_E_AGENT_OUT_OF_MEMORY", async () => {
    const p = probe({ probe: "buffer-bomb" }, { limits: { heapMB: 32 } }, { memoryHeadroomMB: 48 });
    await p.host.start();
    await waitFor(() => p.exits.length > 0, "the exit report");
    expect(p.exits[0]).toMatchObject({ code: "LOS_E_AGENT_OUT_OF_MEMORY", message: expect.stringContaining("cgroup memory limit") });
  });

  it("no cgroup caps its CPU: an agent computing without pause goes over its share and all its threads yield", async () => {
    const p = probe({ probe: "burn" }, { limits: { heapMB: 32, cpuPercent: 20 } }, { cgroups: "off" });
    await p.host.start();
    expect(await p.outcome()).toMatchObject({ probe: "burn", ok: true });
    const over = await waitUntilValue(() => p.cpuOver[0], "the CPU-share event");
    expect(over).toMatchObject({ sharePercent: 20, how: "idle" });
    expect(over.percent).toBeGreaterThan(20);
    expect(p.host.yielded).toBe(true);
    // every thread of the agent's node process (the deepest of sh → bwrap → node) is in the idle class
    const node = processTree(p.host.pid!).at(-1)!;
    const policies = readdirSync(`/proc/${node}/task`).map((tid) => Number(readFileSync(`/proc/${node}/task/${tid}/stat`, "latin1").split(") ")[1]!.split(" ")[38]));
    expect(new Set(policies)).toEqual(new Set([SCHED_IDLE]));
    // it keeps running and heartbeating
    const beats = p.heartbeats.length;
    await waitFor(() => p.heartbeats.length > beats + 1, "heartbeats after yielding");
    expect(p.exits).toEqual([]);
  });

  it("a cgroup that caps its CPU is left to do so: no CPU-share watch", async () => {
    const p = probe({ probe: "burn" }, { limits: { heapMB: 32, cpuPercent: 20 } });
    await p.host.start();
    const cg = p.host.sandbox?.cgroup;
    if (!cg || "notEnforced" in cg) throw new Error(`cgroups not enforced here: ${JSON.stringify(cg)}`);
    expect(cg.cpu).toBe("20000 100000");
    expect(await p.outcome()).toMatchObject({ probe: "burn", ok: true });
    const beats = p.heartbeats.length;
    await waitFor(() => p.heartbeats.length > beats + 6, "several windows of heartbeats");
    expect(p.cpuOver).toEqual([]);
    expect(p.host.yielded).toBe(false);
  });

  it("no writable cgroup file system: auto runs the agent and reports cgroups as not enforced; required refuses", async () => {
    const auto = probe({ probe: "idle" }, {}, { cgroups: "auto", cgroupRoot: "/sys" });
    await auto.host.start();
    expect(auto.host.sandbox?.cgroup).toEqual({ notEnforced: expect.stringContaining("/sys") });

    const required = probe({ probe: "idle" }, {}, { cgroups: "required", cgroupRoot: "/sys" });
    await expect(required.host.start()).rejects.toMatchObject({ code: "LOS_E_AGENT_SANDBOX" });
    expect(required.host.pid).toBeUndefined();
  });
});
