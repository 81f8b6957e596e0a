/**
 * The calling thread's kernel id (Linux), for a worker to tell its host which thread to watch. Kept
 * apart from thread-cpu.ts so that a worker does not load child_process for it (≈ 0.4 MB each).
 */
import { readlinkSync } from "node:fs";

/** `/proc/thread-self` → "<pid>/task/<tid>"; undefined off Linux or without /proc. */
export function currentThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    return Number.isSafeInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}
