/**
 * cgroup v1: one tree per controller (/sys/fs/cgroup/cpu, /sys/fs/cgroup/memory). The agent's
 * cgroups sit under the gateway's own cgroup of each controller, in a `llmagentos` parent.
 */
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  CGROUP_PARENT,
  CPU_PERIOD_US,
  readIntFile,
  readKeyed,
  readPids,
  removeDirs,
  type AgentCgroup,
  type CgroupOptions,
  type CgroupResult,
} from "./cgroups.js";

function controllerDir(root: string, controller: string, self: Map<string, string>): string | undefined {
  // "cpu" is often mounted as "cpu,cpuacct" with "cpu" as a link to it
  for (const mount of [controller, `${controller},cpuacct`, `cpuacct,${controller}`]) {
    const base = join(root, mount);
    if (existsSync(join(base, "cgroup.procs"))) return join(base, self.get(controller) ?? "/", CGROUP_PARENT);
  }
  return undefined;
}

export function createV1Cgroup(o: CgroupOptions, self: Map<string, string>): CgroupResult {
  const memParent = controllerDir(o.root, "memory", self);
  if (!memParent) return { ok: false, reason: `cgroup v1 without a memory controller under ${o.root}` };
  const cpuParent = o.limits.cpuPercent === undefined ? undefined : controllerDir(o.root, "cpu", self);
  if (o.limits.cpuPercent !== undefined && !cpuParent) return { ok: false, reason: `cgroup v1 without a cpu controller under ${o.root}` };

  const made: string[] = [];
  try {
    const mem = join(memParent, o.name);
    mkdirSync(mem, { recursive: true });
    made.push(mem);
    writeFileSync(join(mem, "memory.limit_in_bytes"), String(o.limits.memoryBytes));
    // with swap accounting, memory+swap gets the same limit: no escape into swap
    if (existsSync(join(mem, "memory.memsw.limit_in_bytes"))) writeFileSync(join(mem, "memory.memsw.limit_in_bytes"), String(o.limits.memoryBytes));
    let cpu: string | undefined;
    if (cpuParent && o.limits.cpuPercent !== undefined) {
      const dir = join(cpuParent, o.name);
      mkdirSync(dir, { recursive: true });
      made.push(dir);
      const quota = Math.max(1000, Math.round((CPU_PERIOD_US * o.limits.cpuPercent) / 100));
      writeFileSync(join(dir, "cpu.cfs_period_us"), String(CPU_PERIOD_US));
      writeFileSync(join(dir, "cpu.cfs_quota_us"), String(quota));
      cpu = `${quota} ${CPU_PERIOD_US}`;
    }
    const startKills = readKeyed(join(mem, "memory.oom_control"), "oom_kill") ?? 0;
    const startFails = readIntFile(join(mem, "memory.failcnt")) ?? 0;
    const cgroup: AgentCgroup = {
      enforced: { version: 1, paths: [...made], cpu, memoryBytes: o.limits.memoryBytes },
      procsFiles: made.map((d) => join(d, "cgroup.procs")),
      pids: () => readPids(join(mem, "cgroup.procs")),
      oomKilled: () => {
        const kills = readKeyed(join(mem, "memory.oom_control"), "oom_kill");
        // kernels before 4.13 have no oom_kill counter: hitting the limit is the best sign left
        if (kills === undefined) return (readIntFile(join(mem, "memory.failcnt")) ?? 0) > startFails;
        return kills > startKills;
      },
      remove: () => removeDirs(made, (d) => rmdirSync(d)),
    };
    return { ok: true, cgroup };
  } catch (err) {
    for (const d of made.reverse()) {
      try {
        rmdirSync(d);
      } catch {
        // left for the next cleanup; it holds no process
      }
    }
    return { ok: false, reason: `cgroup v1 under ${o.root} is not writable: ${(err as Error).message}` };
  }
}
