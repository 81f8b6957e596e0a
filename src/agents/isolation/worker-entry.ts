/**
 * The first module of an agent's worker thread (src/agents/hosts/worker-host.ts starts it): the agent
 * shell over the worker's port to the gateway. CPU time is the busy time of this thread's event loop
 * (Node has no per-thread CPU clock); the host also reads it from outside, where the agent cannot lie.
 */
import { performance } from "node:perf_hooks";
import { parentPort } from "node:worker_threads";
import { LosError } from "../../core/errors.js";
import { startAgentShell } from "./agent-shell.js";
import { lowerAgentThreadPriority } from "./thread-priority.js";

if (!parentPort) throw new LosError("LOS_E_INTERNAL", "worker-entry runs only inside a worker thread started by the worker host");
const port = parentPort;
lowerAgentThreadPriority();

startAgentShell(
  {
    send: (message) => port.postMessage(message),
    onMessage: (handler) => port.on("message", handler),
    close: () => port.close(),
  },
  { cpuMs: () => performance.eventLoopUtilization().active },
);
