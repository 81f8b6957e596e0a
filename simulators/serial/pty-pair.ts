/**
 * A virtual null-modem cable: two pseudo-terminals joined by socat, reachable through two symlinks
 * (`a` and `b`). A simulator opens one end, the driver under test the other. There is no baud-rate
 * timing on a pty: bytes arrive as fast as they are written.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LosError } from "../../src/core/errors.js";

export interface PtyPair {
  /** Path of one end (a symlink to /dev/pts/N). */
  readonly a: string;
  /** Path of the other end. */
  readonly b: string;
  /** Kill socat and remove the links (and the directory when this module made it). */
  close(): Promise<void>;
}

export interface PtyPairOptions {
  /**
   * Directory for the links (default: a new temporary directory, removed on close). A given
   * directory is kept on close, so a new pair made there later has the same link paths (a cable
   * unplugged and plugged back in); stale links left in it are replaced.
   */
  dir?: string;
  /** How long to wait for socat to create both links (default 5000 ms). */
  timeoutMs?: number;
  /** socat executable (default "socat" on PATH). */
  socat?: string;
}

const POLL_MS = 10;

/** Start socat and resolve once both pty links exist; rejects with LOS_E_SIM_START. */
export async function createPtyPair(options: PtyPairOptions = {}): Promise<PtyPair> {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), "los-pty-")));
  const a = join(dir, "a");
  const b = join(dir, "b");
  const socatBin = options.socat ?? "socat";
  // socat removes its links on a clean exit, not when killed hard; a stale link would pass the wait below.
  if (!ownDir) await Promise.all([a, b].map((link) => unlink(link).catch(() => undefined)));
  const child = spawn(socatBin, ["-d", "-d", `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (text: string) => {
    if (stderr.length < 4000) stderr += text;
  });
  const cleanupDir = async () => {
    if (ownDir) await rm(dir, { recursive: true, force: true });
  };

  try {
    await waitForLinks(child, [a, b], options.timeoutMs ?? 5000, socatBin, () => stderr);
  } catch (err) {
    await stop(child);
    await cleanupDir();
    throw err;
  }

  let closing: Promise<void> | undefined;
  return {
    a,
    b,
    close: () =>
      (closing ??= (async () => {
        await stop(child);
        await cleanupDir();
      })()),
  };
}

function waitForLinks(child: ChildProcess, links: string[], timeoutMs: number, socatBin: string, stderr: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearInterval(poll);
      clearTimeout(deadline);
      child.off("error", onError);
      child.off("exit", onExit);
      if (err) reject(err);
      else resolve();
    };
    const onError = (err: NodeJS.ErrnoException) =>
      finish(
        err.code === "ENOENT"
          ? new LosError("LOS_E_SIM_START", `socat is not installed (${socatBin} not found); install it with: apt-get install -y socat`, { cause: err })
          : new LosError("LOS_E_SIM_START", `cannot start socat: ${err.message}`, { cause: err }),
      );
    const onExit = (code: number | null, signal: string | null) =>
      finish(new LosError("LOS_E_SIM_START", `socat exited (code ${code}, signal ${signal}) before creating the ptys: ${stderr().trim()}`));
    const poll = setInterval(() => {
      if (links.every((link) => existsSync(link))) finish();
    }, POLL_MS);
    const deadline = setTimeout(
      () => finish(new LosError("LOS_E_SIM_START", `socat did not create ${links.join(" and ")} within ${timeoutMs} ms: ${stderr().trim()}`)),
      timeoutMs,
    );
    child.once("error", onError);
    child.once("exit", onExit);
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const forced = setTimeout(() => child.kill("SIGKILL"), 2000);
  await exited;
  clearTimeout(forced);
}
