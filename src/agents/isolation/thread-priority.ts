/**
 * Agent code yields the CPU to the gateway's own thread (devices, the bus, the write path, the
 * other agents' messages): an isolated agent lowers the priority of the thread it runs on to nice
 * AGENT_NICE as it starts. On Linux `setpriority(PRIO_PROCESS, 0)` changes only the calling thread,
 * so a worker thread leaves the gateway's main thread at its own priority. A busy-looping agent then
 * gets what the gateway does not need, instead of a fair half of a two-core box.
 */
import { setPriority } from "node:os";

export const AGENT_NICE = 10;

/** Lower the calling thread's priority (Linux); elsewhere the call would nice the whole process. */
export function lowerAgentThreadPriority(nice = AGENT_NICE): boolean {
  if (process.platform !== "linux") return false;
  try {
    setPriority(0, nice);
    return true;
  } catch {
    // a seccomp filter or a container without the right may forbid it: the agent runs at our priority
    return false;
  }
}
