/**
 * The first code of a process-isolated agent: runs inside the child process (under Node's
 * permission model, usually in bubblewrap and a cgroup) and connects the agent shell to the
 * gateway over the IPC channel the child inherited. There is no other way out: no network, no
 * file writes, no child processes.
 */
import { startAgentShell, type ShellPort } from "./agent-shell.js";
import type { FromAgent, ToAgent } from "./messages.js";
import { isAccessDenied } from "./node-permissions.js";
import { lowerAgentThreadPriority } from "./thread-priority.js";

const send = process.send?.bind(process);
if (!send) {
  process.stderr.write("process-entry: no IPC channel; this file is started by the gateway's process host\n");
  process.exit(2);
}

const port: ShellPort = {
  send: (message: FromAgent) => {
    if (process.connected) send(message);
  },
  onMessage: (handler) => process.on("message", (m) => handler(m as ToAgent)),
  close: () => {
    if (process.connected) process.disconnect();
  },
};

lowerAgentThreadPriority();

// the gateway is gone (or let us go): nothing left to do; timers of the agent must not keep it alive
process.on("disconnect", () => process.exit(0));

/**
 * What the agent let escape. A refusal of the permission model is reported with its own code and
 * the agent keeps running (the call failed, nothing happened); anything else ends the process,
 * which the host reports as a crash.
 */
function escaped(err: unknown): void {
  if (isAccessDenied(err)) {
    const e = err as Error & { permission?: string; resource?: string };
    port.send({
      t: "log",
      level: "error",
      msg: "agent tried something its isolation forbids",
      obj: { code: "LOS_E_AGENT_FORBIDDEN", permission: e.permission ?? "", resource: e.resource ?? "", err: e.message },
    });
    return;
  }
  const message = err instanceof Error ? err.message : String(err);
  port.send({ t: "log", level: "error", msg: "agent crashed", obj: { code: "LOS_E_AGENT_CRASHED", err: message } });
  // the host reports the exit with this message (the exit code alone says little)
  port.send({ t: "failed", code: "LOS_E_AGENT_CRASHED", message: `uncaught: ${message}`.slice(0, 1000) });
  process.exitCode = 1;
  setImmediate(() => process.exit(1));
}
process.on("uncaughtException", escaped);
process.on("unhandledRejection", escaped);

startAgentShell(port, {
  cpuMs: () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  },
});
