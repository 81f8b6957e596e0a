/** The sandbox section with its defaults, for the process host: kept apart from the TypeBox schema (see connection-key.ts). */
import type { SandboxConfig } from "./sandbox-schema.js";

export interface ResolvedSandbox {
  bwrap: "required" | "auto" | "off";
  bwrapPath: string;
  cgroups: "auto" | "required" | "off";
  cgroupRoot: string;
  memoryHeadroomMB: number;
  startTimeoutMs: number;
}

export function resolveSandbox(s: SandboxConfig = {}): ResolvedSandbox {
  return {
    bwrap: s.bwrap ?? "required",
    bwrapPath: s.bwrapPath ?? "/usr/bin/bwrap",
    cgroups: s.cgroups ?? "auto",
    cgroupRoot: s.cgroupRoot ?? "/sys/fs/cgroup",
    memoryHeadroomMB: s.memoryHeadroomMB ?? 64,
    startTimeoutMs: s.startTimeoutMs ?? 10_000,
  };
}
