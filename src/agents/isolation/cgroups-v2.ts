/**
 * cgroup v2: one unified tree. A cgroup that holds processes cannot hand controllers to children
 * (the "no internal processes" rule), so the processes of the gateway's own cgroup first move into a
 * `gateway` leaf beside `llmagentos` (what systemd's DelegateSubgroup= does). That needs the
 * gateway's cgroup to be delegated to it (systemd `Delegate=yes`, or a container's own cgroup);
 * elsewhere the reason is reported.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CGROUP_PARENT, CPU_PERIOD_US, readKeyed, readPids, removeDirs, type AgentCgroup, type CgroupOptions, type CgroupResult } from "./cgroups.js";

function enable(dir: string, controllers: string[]): void {
  const have = new Set(readFileSync(join(dir, "cgroup.subtree_control"), "utf8").trim().split(/\s+/));
  const missing = controllers.filter((c) => !have.has(c));
  if (missing.length > 0) writeFileSync(join(dir, "cgroup.subtree_control"), missing.map((c) => `+${c}`).join(" "));
}

/** move every process of `own` into `own/gateway`, so that `own` may enable controllers below it */
function leaveInternalProcesses(own: string): void {
  const pids = readPids(join(own, "cgroup.procs"));
  if (pids.length === 0) return;
  const leaf = join(own, "gateway");
  mkdirSync(leaf, { recursive: true });
  for (const pid of pids) writeFileSync(join(leaf, "cgroup.procs"), String(pid));
}

export function createV2Cgroup(o: CgroupOptions, selfPath: string): CgroupResult {
  const own = join(o.root, selfPath);
  const parent = join(own, CGROUP_PARENT);
  const wanted = o.limits.cpuPercent === undefined ? ["memory"] : ["cpu", "memory"];
  const available = new Set(readFileSync(join(own, "cgroup.controllers"), "utf8").trim().split(/\s+/));
  const absent = wanted.filter((c) => !available.has(c));
  if (absent.length > 0) {
    return { ok: false, reason: `cgroup v2: the ${absent.join(" and ")} controller is not available in ${own} (enable cgroup_enable=memory at boot, or delegate it)` };
  }
  const dir = join(parent, o.name);
  try {
    if (selfPath !== "/") leaveInternalProcesses(own);
    enable(own, wanted);
    mkdirSync(parent, { recursive: true });
    enable(parent, wanted);
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    return {
      ok: false,
      reason: `cgroup v2: cannot delegate ${wanted.join(" and ")} below ${own} (${(err as Error).message}); run the gateway with systemd Delegate=yes or in its own cgroup`,
    };
  }
  try {
    writeFileSync(join(dir, "memory.max"), String(o.limits.memoryBytes));
    if (existsSync(join(dir, "memory.swap.max"))) writeFileSync(join(dir, "memory.swap.max"), "0");
    let cpu: string | undefined;
    if (o.limits.cpuPercent !== undefined) {
      const quota = Math.max(1000, Math.round((CPU_PERIOD_US * o.limits.cpuPercent) / 100));
      cpu = `${quota} ${CPU_PERIOD_US}`;
      writeFileSync(join(dir, "cpu.max"), cpu);
    }
    const events = join(dir, "memory.events");
    const cgroup: AgentCgroup = {
      enforced: { version: 2, paths: [dir], cpu, memoryBytes: o.limits.memoryBytes },
      procsFiles: [join(dir, "cgroup.procs")],
      pids: () => readPids(join(dir, "cgroup.procs")),
      oomKilled: () => (readKeyed(events, "oom_kill") ?? 0) > 0,
      remove: () => removeDirs([dir], (d) => rmdirSync(d)),
    };
    return { ok: true, cgroup };
  } catch (err) {
    try {
      rmdirSync(dir);
    } catch {
      // left for the next cleanup; it holds no process
    }
    return { ok: false, reason: `cgroup v2: cannot set limits in ${dir}: ${(err as Error).message}` };
  }
}
