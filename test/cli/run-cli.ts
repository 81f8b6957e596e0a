/** Run the `llmagentos` bin as a user does: a child process in the repository, output collected. */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { REPO_ROOT } from "../gateway/helpers.js";

export interface CliRun {
  /** exit code; null when the run was killed at its timeout */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A command left running (a simulator): its output so far, and its exit. */
export interface CliChild {
  proc: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function spawnCli(args: string[], env: Record<string, string>): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ["bin/llmagentos.mjs", ...args], { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: "1", ...env } });
}

/** Start a command and leave it running; the caller stops it. */
export function startCli(args: string[], env: Record<string, string> = {}): CliChild {
  const proc = spawnCli(args, env);
  let out = "";
  let err = "";
  proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on("close", (code) => resolve(code)));
  return { proc, stdout: () => out, stderr: () => err, exited };
}

export function runCli(args: string[], timeoutMs = 60_000, env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, env);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
