/**
 * Run examples/agents/python/agent.py with Debian's python3 and paho-mqtt (installed by .ci/run and
 * `npm test`'s pretest): its JSON lines are collected as events. Fails loudly when paho is missing.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

// not from test/gateway/helpers.ts: the host-level tests need not load the whole gateway
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export const PYTHON = "/usr/bin/python3";
export const AGENT_PY = join(REPO_ROOT, "examples/agents/python/agent.py");

/** Throws with what to install when python3 or paho-mqtt is not there (never skip). */
export function requirePaho(): void {
  const r = spawnSync(PYTHON, ["-c", "import paho.mqtt.client"], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    throw new Error(`${PYTHON} with paho-mqtt is needed for the Python agent tests: apt-get install python3-paho-mqtt (${r.error?.message ?? r.stderr.trim()})`);
  }
}

export interface PyEvent {
  event: string;
  [k: string]: unknown;
}

export interface PythonAgent {
  proc: ChildProcessWithoutNullStreams;
  events: PyEvent[];
  stderr(): string;
  exited: Promise<number | null>;
  /** the first event (from index `from`) of this kind matching `pred`; rejects on exit or after timeoutMs */
  next(event: string, pred?: (e: PyEvent) => boolean, timeoutMs?: number): Promise<PyEvent>;
}

export function startPythonAgent(args: string[]): PythonAgent {
  const proc = spawn(PYTHON, [AGENT_PY, ...args], { cwd: REPO_ROOT, env: { ...process.env, PYTHONUNBUFFERED: "1" } });
  const events: PyEvent[] = [];
  let err = "";
  let buf = "";
  let wake: (() => void)[] = [];
  let code: number | null | undefined;
  const notify = () => {
    const w = wake;
    wake = [];
    w.forEach((f) => f());
  };
  proc.stdout.on("data", (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim()) events.push(JSON.parse(line) as PyEvent);
    }
    notify();
  });
  proc.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    proc.on("close", (c) => {
      code = c;
      notify();
      resolve(c);
    }),
  );
  return {
    proc,
    events,
    stderr: () => err,
    exited,
    async next(event, pred = () => true, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = events.find((e) => e.event === event && pred(e));
        if (hit) return hit;
        if (code !== undefined) throw new Error(`python agent exited (${code}) before "${event}": ${err}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for "${event}" from the python agent; events: ${JSON.stringify(events)} stderr: ${err}`);
        await new Promise<void>((r) => {
          wake.push(r);
          setTimeout(r, deadline - Date.now());
        });
      }
    },
  };
}
