/**
 * One thread seen from another (Linux): the CPU time it has used and a way to move it to the idle
 * scheduling class. Node cannot cap a worker thread's CPU, and a worker's own
 * report of its usage could lie, so the worker host reads the thread's clock from /proc and, when
 * the thread takes more than its share, hands it to the kernel as background work (docs/isolation.md).
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { setPriority } from "node:os";

/** Linux reports thread times in USER_HZ ticks, 100 per second on every architecture Node runs on */
const TICK_MS = 10;
/** the lowest nice value: what a thread gets where the idle class cannot be set */
const LOWEST_NICE = 19;

/** True for a thread of this process other than its main thread (which must never be demoted). */
export function isOtherThreadOfThisProcess(tid: number): boolean {
  if (!Number.isSafeInteger(tid) || tid <= 0 || tid === process.pid) return false;
  return threadCpuMs(tid) !== undefined;
}

/** The fields of a /proc stat file from the third (state) on, undefined once its task is gone. */
function statFields(path: string): string[] | undefined {
  try {
    const stat = readFileSync(path, "latin1");
    // the command name in parentheses may hold spaces: fields are counted from the last ")"
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** User + system CPU time in a /proc stat file (a thread's, or a whole process's), ms. */
export function statCpuMs(path: string): number | undefined {
  const f = statFields(path);
  const ticks = Number(f?.[11]) + Number(f?.[12]);
  return Number.isFinite(ticks) ? ticks * TICK_MS : undefined;
}

/** User + system CPU time of a thread of this process, ms (tick resolution), undefined once gone. */
export function threadCpuMs(tid: number): number | undefined {
  return statCpuMs(`/proc/self/task/${tid}/stat`);
}

export type ThreadYield = "idle" | "nice" | "none";

/**
 * Move a thread to SCHED_IDLE: it runs only when no normal thread wants the CPU, and a waking
 * normal thread preempts it at once. Node has no binding for sched_setscheduler, so this runs
 * util-linux's `chrt` (on every Debian and Raspberry Pi OS); without it the thread gets nice 19.
 * Lowering a thread's priority needs no privilege; raising it back would, so a demotion lasts
 * for the thread's life.
 */
export async function yieldThread(tid: number): Promise<ThreadYield> {
  if (await chrtIdle(tid)) return "idle";
  try {
    setPriority(tid, LOWEST_NICE);
    return "nice";
  } catch {
    return "none";
  }
}

/** util-linux `chrt --idle` on one thread (any process of this user); false when it could not. */
function chrtIdle(tid: number): Promise<boolean> {
  return new Promise((resolve) => {
    const chrt = spawn("chrt", ["--idle", "--pid", "0", String(tid)], { stdio: "ignore" });
    chrt.once("error", () => resolve(false));
    chrt.once("exit", (code) => resolve(code === 0));
  });
}

/** The thread's scheduling policy number (5: SCHED_IDLE), for tests and diagnostics. */
export function threadPolicy(tid: number): number | undefined {
  const policy = Number(statFields(`/proc/self/task/${tid}/stat`)?.[38]);
  return Number.isFinite(policy) ? policy : undefined;
}
