/**
 * cgroup layouts without a kernel: v2 against a directory tree shaped like /sys/fs/cgroup (the
 * files the kernel would offer), and /proc/self/cgroup parsing for both versions. The real v1
 * cgroup file system of this box is exercised by the process host's tests.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createAgentCgroup, parseSelfCgroup } from "../../../src/agents/isolation/cgroups.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** a v2 tree: the gateway in /system.slice/los.service, controllers offered as the kernel would */
function fakeV2(controllers = "cpuset cpu io memory pids"): { root: string; own: string } {
  const root = mkdtempSync(join(tmpdir(), "los-cg2-"));
  dirs.push(root);
  const own = join(root, "system.slice", "los.service");
  mkdirSync(own, { recursive: true });
  writeFileSync(join(root, "cgroup.controllers"), `${controllers}\n`);
  writeFileSync(join(own, "cgroup.controllers"), `${controllers}\n`);
  writeFileSync(join(own, "cgroup.subtree_control"), "\n");
  writeFileSync(join(own, "cgroup.procs"), "4242\n");
  // the kernel creates these in a new cgroup; a plain directory tree needs them made in advance
  const parent = join(own, "llmagentos");
  mkdirSync(parent);
  writeFileSync(join(parent, "cgroup.subtree_control"), "\n");
  return { root, own };
}

describe("parseSelfCgroup", () => {
  it("maps v1 controllers (also joined ones like cpu,cpuacct) and the v2 path", () => {
    const m = parseSelfCgroup("12:memory:/process_api/abc\n4:cpu,cpuacct:/\n0::/system.slice/los.service\n");
    expect(m.get("memory")).toBe("/process_api/abc");
    expect(m.get("cpu")).toBe("/");
    expect(m.get("cpuacct")).toBe("/");
    expect(m.get("")).toBe("/system.slice/los.service");
  });
});

describe("cgroup v2", () => {
  it("delegates cpu and memory below the gateway's cgroup and writes cpu.max and memory.max", () => {
    const { root, own } = fakeV2();
    const r = createAgentCgroup({ root, name: "a1.1", limits: { cpuPercent: 150, memoryBytes: 96 * 1024 * 1024 }, selfCgroup: "0::/system.slice/los.service\n" });
    if (!r.ok) throw new Error(r.reason);
    const dir = join(own, "llmagentos", "a1.1");
    expect(r.cgroup.enforced).toEqual({ version: 2, paths: [dir], cpu: "150000 100000", memoryBytes: 96 * 1024 * 1024 });
    expect(r.cgroup.procsFiles).toEqual([join(dir, "cgroup.procs")]);
    expect(readFileSync(join(dir, "cpu.max"), "utf8")).toBe("150000 100000");
    expect(readFileSync(join(dir, "memory.max"), "utf8")).toBe(String(96 * 1024 * 1024));
    expect(readFileSync(join(own, "cgroup.subtree_control"), "utf8")).toBe("+cpu +memory");
    // the gateway left its cgroup for a leaf, or the kernel would refuse to enable controllers
    expect(readFileSync(join(own, "gateway", "cgroup.procs"), "utf8")).toBe("4242");
    expect(readFileSync(join(own, "llmagentos", "cgroup.subtree_control"), "utf8")).toBe("+cpu +memory");
  });

  it("reads OOM kills from memory.events", () => {
    const { root, own } = fakeV2();
    const r = createAgentCgroup({ root, name: "a2.1", limits: { cpuPercent: undefined, memoryBytes: 1 << 26 }, selfCgroup: "0::/system.slice/los.service\n" });
    if (!r.ok) throw new Error(r.reason);
    expect(r.cgroup.enforced.cpu).toBeUndefined();
    const events = join(own, "llmagentos", "a2.1", "memory.events");
    writeFileSync(events, "low 0\nhigh 0\nmax 3\noom 1\noom_kill 0\n");
    expect(r.cgroup.oomKilled()).toBe(false);
    writeFileSync(events, "low 0\nhigh 0\nmax 9\noom 2\noom_kill 1\n");
    expect(r.cgroup.oomKilled()).toBe(true);
  });

  it("says why when the memory controller is not offered (Raspberry Pi OS without cgroup_enable=memory)", () => {
    const { root } = fakeV2("cpuset cpu io pids");
    const r = createAgentCgroup({ root, name: "a3.1", limits: { cpuPercent: undefined, memoryBytes: 1 << 26 }, selfCgroup: "0::/system.slice/los.service\n" });
    expect(r).toEqual({ ok: false, reason: expect.stringContaining("cgroup_enable=memory") });
  });
});

describe("no cgroup file system", () => {
  it("reports the root it looked at", () => {
    const root = mkdtempSync(join(tmpdir(), "los-cg0-"));
    dirs.push(root);
    const r = createAgentCgroup({ root, name: "a", limits: { cpuPercent: 50, memoryBytes: 1 << 26 }, selfCgroup: "0::/\n" });
    expect(r).toEqual({ ok: false, reason: `no cgroup file system with a memory controller at ${root}` });
  });
});
