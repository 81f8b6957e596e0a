/**
 * Helper for the bench's child processes: spawn `node --import tsx <script>`, read its stdout as JSON
 * lines, write command lines to its stdin, and stop it (stdin end, then SIGTERM, then SIGKILL).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));

export interface Child {
  proc: ChildProcess;
  /** the next JSON line on stdout */
  next<T = unknown>(timeoutMs?: number): Promise<T>;
  send(line: string): void;
  stop(): Promise<void>;
}

export function spawnTsx(script: string, args: string[] = [], nodeArgs: string[] = []): Child {
  const proc = spawn(process.execPath, [...nodeArgs, "--import", "tsx", script, ...args], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  const queue: unknown[] = [];
  const waiters: ((v: unknown) => void)[] = [];
  let stderr = "";
  proc.stderr!.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  createInterface({ input: proc.stdout! }).on("line", (line) => {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      return; // not ours
    }
    const w = waiters.shift();
    if (w) w(v);
    else queue.push(v);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => proc.on("exit", () => ((exited = true), resolve())));
  return {
    proc,
    next<T>(timeoutMs = 30_000): Promise<T> {
      if (queue.length > 0) return Promise.resolve(queue.shift() as T);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${script}: no output within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
        void exit.then(() => {
          clearTimeout(timer);
          reject(new Error(`${script} exited (code ${proc.exitCode}); stderr: ${stderr}`));
        });
        waiters.push((v) => {
          clearTimeout(timer);
          resolve(v as T);
        });
      });
    },
    send(line: string) {
      proc.stdin!.write(`${line}\n`);
    },
    async stop() {
      if (exited) return;
      proc.stdin!.end();
      const t1 = setTimeout(() => proc.kill("SIGTERM"), 2000);
      const t2 = setTimeout(() => proc.kill("SIGKILL"), 5000);
      await exit;
      clearTimeout(t1);
      clearTimeout(t2);
    },
  };
}
