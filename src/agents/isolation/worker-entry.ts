/**
 * The first module of an agent's worker thread (src/agents/hosts/worker-host.ts starts it). It tells
 * the host which kernel thread it is and lowers that thread's priority before anything else is
 * loaded: static imports would load the whole shell first, at the gateway's priority, on every
 * (re)start. Then the agent shell runs over the worker's port. CPU time is the busy time of this
 * thread's event loop (Node has no per-thread CPU clock); the host also reads the thread's CPU
 * from /proc, where the agent cannot lie.
 */
import { performance } from "node:perf_hooks";
import { parentPort } from "node:worker_threads";
import { LosError } from "../../core/errors.js";
import { currentThreadId } from "./thread-id.js";
import { lowerAgentThreadPriority } from "./thread-priority.js";

if (!parentPort) throw new LosError("LOS_E_INTERNAL", "worker-entry runs only inside a worker thread started by the worker host");
const port = parentPort;
// first, before any agent code can speak for this thread: which thread the host is to watch
const tid = currentThreadId();
if (tid !== undefined) port.postMessage({ t: "thread", tid });
lowerAgentThreadPriority();

const { startAgentShell } = await import("./agent-shell.js");
startAgentShell(
  {
    send: (message) => port.postMessage(message),
    onMessage: (handler) => port.on("message", handler),
    close: () => port.close(),
  },
  { cpuMs: () => performance.eventLoopUtilization().active },
);
