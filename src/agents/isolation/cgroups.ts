/**
 * A cgroup per process agent under a gateway parent (`llmagentos`), where the cgroup file system
 * is writable: CPU quota from limits.cpuPercent, memory limit from limits.heapMB plus headroom, and
 * the kernel's OOM-kill counter to tell a memory kill from a crash. Both layouts are handled:
 * cgroup v2 (one unified tree: Raspberry Pi OS, current Debian) and v1 (one tree per controller).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createV1Cgroup } from "./cgroups-v1.js";
import { createV2Cgroup } from "./cgroups-v2.js";

export const CPU_PERIOD_US = 100_000;
export const CGROUP_PARENT = "llmagentos";

export interface CgroupLimits {
  /** 100 = one core; undefined: no CPU cap */
  cpuPercent: number | undefined;
  memoryBytes: number;
}

/** What the kernel enforces for one agent, for the log and `llmagentos agents`. */
export interface CgroupEnforced {
  version: 1 | 2;
  /** the agent's cgroup directories */
  paths: string[];
  /** "quota period" in µs, or undefined when CPU is not capped */
  cpu: string | undefined;
  memoryBytes: number;
}

export interface AgentCgroup {
  readonly enforced: CgroupEnforced;
  /** `cgroup.procs` files the agent's first process writes its pid into before it runs anything */
  readonly procsFiles: readonly string[];
  /** pids in the agent's cgroup now */
  pids(): number[];
  /** the kernel killed a process of this cgroup for going over its memory limit */
  oomKilled(): boolean;
  /** remove the cgroup; retried while the last processes are still exiting; never throws */
  remove(): Promise<void>;
}

export type CgroupResult = { ok: true; cgroup: AgentCgroup } | { ok: false; reason: string };

export interface CgroupOptions {
  /** where the cgroup file systems are mounted (/sys/fs/cgroup) */
  root: string;
  /** unique per agent run */
  name: string;
  limits: CgroupLimits;
  /** contents of /proc/self/cgroup (tests pass their own) */
  selfCgroup?: string;
}

/** The gateway's own cgroup path per v1 controller ("cpu", "memory") and for v2 (""). */
export function parseSelfCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, controllers = "", path = "/"] = m;
    if (controllers === "") out.set("", path);
    for (const c of controllers.split(",")) if (c) out.set(c, path);
  }
  return out;
}

export function readIntFile(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, "utf8").trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

export function readPids(procsFile: string): number[] {
  try {
    return readFileSync(procsFile, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map(Number);
  } catch {
    return [];
  }
}

/** `key value` lines (memory.events, memory.oom_control) → the value of `key` */
export function readKeyed(path: string, key: string): number | undefined {
  try {
    for (const line of readFileSync(path, "utf8").split("\n")) {
      const [k, v] = line.trim().split(/\s+/);
      if (k === key) return Number(v);
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * Make the agent's cgroup, or say why it cannot be made (no cgroup file system, not writable, the
 * controllers are not delegated). Never throws: the caller decides whether that is fatal.
 */
export function createAgentCgroup(o: CgroupOptions): CgroupResult {
  let self: Map<string, string>;
  try {
    self = parseSelfCgroup(o.selfCgroup ?? readFileSync("/proc/self/cgroup", "utf8"));
  } catch (err) {
    return { ok: false, reason: `cannot read /proc/self/cgroup: ${(err as Error).message}` };
  }
  try {
    if (existsSync(join(o.root, "cgroup.controllers"))) return createV2Cgroup(o, self.get("") ?? "/");
    if (existsSync(join(o.root, "memory", "cgroup.procs"))) return createV1Cgroup(o, self);
  } catch (err) {
    return { ok: false, reason: `cannot create a cgroup under ${o.root}: ${(err as Error).message}` };
  }
  return { ok: false, reason: `no cgroup file system with a memory controller at ${o.root}` };
}

/** rmdir, retried briefly: a cgroup is busy until its last process has been reaped */
export async function removeDirs(dirs: readonly string[], rmdir: (d: string) => void): Promise<void> {
  for (const dir of dirs) {
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        rmdir(dir);
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ENOENT") break;
        if (code !== "EBUSY") break;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
}
