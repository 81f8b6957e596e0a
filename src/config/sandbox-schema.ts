/**
 * How process-isolated agents are sandboxed on this box: bubblewrap (own network, pid, ipc and uts
 * namespaces, a read-only view of only what the agent needs) and cgroups (CPU and memory limits).
 * Node's permission model is always on for process agents; these two depend on the box.
 */
import { Type, type Static } from "@sinclair/typebox";

export const SandboxConfig = Type.Object(
  {
    bwrap: Type.Optional(
      Type.Union([Type.Literal("required"), Type.Literal("auto"), Type.Literal("off")], {
        description: "required: a process agent does not start without bubblewrap (default); auto: use it when installed; off: never (no network isolation)",
      }),
    ),
    bwrapPath: Type.Optional(Type.String({ minLength: 1, description: "the bwrap executable; default /usr/bin/bwrap" })),
    cgroups: Type.Optional(
      Type.Union([Type.Literal("auto"), Type.Literal("required"), Type.Literal("off")], {
        description: "auto: a cgroup per process agent where the cgroup file system is writable (default); required: do not start without one; off: never",
      }),
    ),
    cgroupRoot: Type.Optional(
      Type.String({ minLength: 1, description: "cgroup file system mount; default /sys/fs/cgroup (v1 controllers or the v2 unified tree are detected)" }),
    ),
    memoryHeadroomMB: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 4096, description: "cgroup memory limit = limits.heapMB + this (code, stacks, buffers); default 64" }),
    ),
    startTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 120_000, description: "longest a process agent may take to report ready; default 10000" })),
  },
  { additionalProperties: false },
);

export type SandboxConfig = Static<typeof SandboxConfig>;

export { resolveSandbox, type ResolvedSandbox } from "./sandbox-resolve.js";
