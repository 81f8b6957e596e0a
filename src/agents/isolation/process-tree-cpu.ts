/**
 * A process agent seen from the gateway (Linux): the processes under the host's child (sh → bwrap
 * → node), the CPU time they have used, and moving all their threads to the idle scheduling class.
 * The CPU-share rule uses them where no cgroup caps the agent's CPU (docs/isolation.md).
 */
import { readFileSync, readdirSync } from "node:fs";
import { statCpuMs, yieldThread, type ThreadYield } from "./thread-cpu.js";

const processCpuMs = (pid: number) => statCpuMs(`/proc/${pid}/stat`);

/** `root` and every process below it, read from /proc/<pid>/task/<tid>/children. */
export function processTree(root: number): number[] {
  const out: number[] = [];
  const visit = (pid: number) => {
    out.push(pid);
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      return; // gone meanwhile
    }
    for (const tid of tids) {
      let kids = "";
      try {
        kids = readFileSync(`/proc/${pid}/task/${tid}/children`, "latin1");
      } catch {
        continue;
      }
      for (const kid of kids.split(" ").filter(Boolean)) visit(Number(kid));
    }
  };
  visit(root);
  return out;
}

/** CPU time of the processes alive under `root` now, ms; undefined when `root` is gone. */
export function processTreeCpuMs(root: number): number | undefined {
  if (processCpuMs(root) === undefined) return undefined;
  return processTree(root).reduce((sum, pid) => sum + (processCpuMs(pid) ?? 0), 0);
}

/** Every thread of every process under `root` to the idle class; the worst of what each allowed. */
export async function yieldProcessTree(root: number): Promise<ThreadYield> {
  const tids = processTree(root).flatMap((pid) => {
    try {
      return readdirSync(`/proc/${pid}/task`).map(Number);
    } catch {
      return [];
    }
  });
  const order: ThreadYield[] = ["idle", "nice", "none"];
  let worst: ThreadYield = "idle";
  for (const tid of tids) {
    const how = await yieldThread(tid);
    if (order.indexOf(how) > order.indexOf(worst)) worst = how;
  }
  return worst;
}
