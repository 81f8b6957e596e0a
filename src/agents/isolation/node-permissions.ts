/**
 * Node's permission model for a process-isolated agent: file reads only of the paths given (its
 * code), no file writes, no child processes, no worker threads, no native addons. It does not
 * cover the network: that is bubblewrap's job (sandbox.ts).
 */

/** Node 20 and 21 call the flag --experimental-permission; 22 and later --permission. */
export function permissionFlag(nodeVersion: string = process.versions.node): string {
  const major = Number(nodeVersion.split(".")[0]);
  return major >= 22 ? "--permission" : "--experimental-permission";
}

export interface NodeFlagsOptions {
  /** files and directories (with a trailing /) the agent may read */
  readPaths: readonly string[];
  heapMB: number;
  nodeVersion?: string;
}

/**
 * One --allow-fs-read per path: Node 20.19+ and 22+ take repeated flags, and a comma inside one
 * flag is not a separator on every version. Nothing else is allowed, so fs writes, child_process,
 * worker_threads (and with them module.register hooks, i.e. tsx) fail with ERR_ACCESS_DENIED.
 */
export function nodePermissionArgs(o: NodeFlagsOptions): string[] {
  return [
    permissionFlag(o.nodeVersion),
    ...o.readPaths.map((p) => `--allow-fs-read=${p}`),
    "--no-addons",
    "--disable-proto=throw",
    `--max-old-space-size=${Math.floor(o.heapMB)}`,
    // the permission model's "experimental" warning on every start is noise in the gateway's log
    "--no-warnings",
  ];
}

/** The error Node throws when the permission model refuses a call. */
export function isAccessDenied(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "ERR_ACCESS_DENIED";
}
