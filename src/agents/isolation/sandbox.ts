/**
 * The OS sandbox of a process-isolated agent: bubblewrap with its own network namespace (no
 * network at all: the agent talks to the gateway only over the inherited IPC fd), new pid, ipc and
 * uts namespaces, no capabilities, a read-only view of only the system libraries, the node binary
 * and the agent's code, an empty private /tmp, killed with the gateway.
 */
import { accessSync, constants, lstatSync, readlinkSync } from "node:fs";
import { dirname } from "node:path";
import { LosError } from "../../core/errors.js";

/** Is `path` an executable file? (bubblewrap's presence, without running it) */
export function canExecute(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether to wrap in bubblewrap: "required" without it is LOS_E_AGENT_SANDBOX naming the path;
 * "auto" uses it when it is there.
 */
export function useBwrap(mode: "required" | "auto" | "off", bwrapPath: string): boolean {
  if (mode === "off") return false;
  if (canExecute(bwrapPath)) return true;
  if (mode === "auto") return false;
  throw new LosError(
    "LOS_E_AGENT_SANDBOX",
    `bubblewrap is required for process agents but ${bwrapPath} is missing or not executable: install it (apt install bubblewrap) or set sandbox.bwrapPath, or set sandbox.bwrap to "auto"/"off" to run without network isolation`,
    { details: { bwrapPath } },
  );
}

/** The top-level system directories the dynamic loader and libc need, as they are on this box. */
const SYSTEM_DIRS = ["/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin"];

function systemBinds(): string[] {
  const args: string[] = [];
  for (const dir of SYSTEM_DIRS) {
    let st;
    try {
      st = lstatSync(dir);
    } catch {
      continue;
    }
    // merged-/usr systems (Debian 12, Raspberry Pi OS) have /lib -> usr/lib: keep the link
    if (st.isSymbolicLink()) args.push("--symlink", readlinkSync(dir), dir);
    else if (st.isDirectory()) args.push("--ro-bind", dir, dir);
  }
  return args;
}

export interface BwrapOptions {
  /** files and directories bound read-only at the same path (the agent's code) */
  readPaths: readonly string[];
  execPath?: string;
}

/** bwrap's arguments up to and including `--`; the node command line follows. */
export function bwrapArgs(o: BwrapOptions): string[] {
  const exec = o.execPath ?? process.execPath;
  const args = [
    "--die-with-parent",
    "--new-session",
    "--unshare-net",
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-cgroup-try",
    "--hostname",
    "agent",
    "--cap-drop",
    "ALL",
    ...systemBinds(),
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--tmpfs",
    "/tmp",
  ];
  // a node installed outside /usr (nvm, /opt): bind its install prefix too
  if (!exec.startsWith("/usr/")) {
    const prefix = dirname(dirname(exec));
    args.push("--ro-bind", prefix, prefix);
  }
  for (const p of o.readPaths) {
    const path = p.endsWith("/") && p.length > 1 ? p.slice(0, -1) : p;
    args.push("--ro-bind", path, path);
  }
  args.push("--chdir", "/tmp", "--");
  return args;
}
