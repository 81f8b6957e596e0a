// How the llmagentos command runs: which code (the compiled build in dist/ or the TypeScript
// sources through tsx) and with which V8 memory setting. Shared by bin/llmagentos.mjs and the
// startup bench, so the bench measures what users run.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, URL } from "node:url";
import { setTimeout } from "node:timers";
import v8 from "node:v8";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** Folders compiled by scripts/build.mjs. */
export const SOURCE_DIRS = ["src", "simulators"];

/**
 * True when dist/ holds a build at least as new as every file in src/ and simulators/ (mtimes;
 * ~130 stat calls, about a millisecond). dist/build-info.json's mtime is when the build started.
 */
export function distIsFresh(root = ROOT) {
  let built;
  try {
    built = statSync(join(root, "dist", "build-info.json")).mtimeMs;
  } catch {
    return false;
  }
  for (const dir of SOURCE_DIRS) {
    const base = join(root, dir);
    for (const entry of readdirSync(base, { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs > built) return false;
    }
  }
  return true;
}

/**
 * Which code to run: LLMAGENTOS_RUNTIME=dist or =tsx forces one; otherwise dist/ when it is fresh,
 * else the sources through tsx (so an edit in src/ is never masked by an old build).
 */
export function chooseRuntime(root = ROOT) {
  const forced = process.env.LLMAGENTOS_RUNTIME;
  if (forced === "dist" || forced === "tsx") return forced;
  return distIsFresh(root) ? "dist" : "tsx";
}

/** How long the young generation is held at its initial size after start (ms). */
export const STARTUP_YOUNG_GEN_MS = 3000;

/**
 * How much V8 lets the old generation grow past the live heap before the next mark-compact, in
 * percent. V8's own factor is 1.1–4 depending on GC speed; under load it let promoted garbage
 * pile up to 2–3 × the live heap; 10 % measured ≈ 5 MB less RSS under load at the same CPU per point
 * (docs/bench.md). LLMAGENTOS_HEAP_GROWING_PERCENT overrides it (0: V8's own factor).
 */
export const HEAP_GROWING_PERCENT = 10;

/**
 * V8's young generation, in two phases. During start-up (importing modules, loading the config,
 * building the gateway) a burst of short-lived garbage would grow the semi-spaces from 1 to 16 MB for
 * good: ≈ 8–10 MB of idle RSS. So the growth factor is 1 for the first STARTUP_YOUNG_GEN_MS, then
 * back to V8's default (2), so that a loaded gateway still grows its young generation: held at 1 MB
 * under load, short-lived readings and requests survived into old space, ≈ +5 µs CPU per point and
 * ≈ +20 MB RSS at 21,000 points/s (docs/bench.md). V8 reads the factor each time it grows the new
 * space, so changing it at run time takes effect. The old generation's growing factor
 * (HEAP_GROWING_PERCENT) is set from the start; V8 reads it whenever it sets the next GC limit.
 * LLMAGENTOS_V8_TUNING=0 leaves V8 alone; so do node flags that size the new space (for the first
 * part) or set --heap-growing-percent (for the second).
 */
export function tuneV8(startupMs = STARTUP_YOUNG_GEN_MS) {
  if (process.env.LLMAGENTOS_V8_TUNING === "0") return false;
  const flags = `${process.execArgv.join(" ")} ${process.env.NODE_OPTIONS ?? ""}`;
  let tuned = false;
  if (!/heap-growing-percent/.test(flags)) {
    const env = process.env.LLMAGENTOS_HEAP_GROWING_PERCENT;
    const percent = env !== undefined && /^\d+$/.test(env) ? Number(env) : HEAP_GROWING_PERCENT;
    v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
    tuned = true;
  }
  if (/semi-space/.test(flags)) return tuned;
  v8.setFlagsFromString("--semi-space-growth-factor=1");
  setTimeout(() => v8.setFlagsFromString("--semi-space-growth-factor=2"), startupMs).unref();
  return true;
}
