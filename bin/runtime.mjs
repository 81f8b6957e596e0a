// How the llmagentos command runs: which code (the compiled build in dist/ or the TypeScript
// sources through tsx) and with which V8 memory setting. Shared by bin/llmagentos.mjs and the
// startup bench, so the bench measures what users run.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, URL } from "node:url";
import { setTimeout } from "node:timers";
import { PerformanceObserver } from "node:perf_hooks";
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
 * Largest semi-space the young generation may grow to after start-up, in MB (V8's own limit is 16 MB
 * on 64-bit; the young generation commits two semi-spaces). Measured under load in docs/bench.md.
 * LLMAGENTOS_YOUNG_GEN_MB overrides it (0: V8's own limit).
 */
export const YOUNG_GEN_CAP_MB = 6;

/** One semi-space's capacity in whole MB (V8 grows it in steps of 1 MB pages). */
export function semiSpaceMB() {
  const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === "new_space");
  return s ? Math.ceil((s.space_used_size + s.space_available_size) / 1048576) : 0;
}

/**
 * V8's young generation, in two phases. During start-up (importing modules, loading the config,
 * building the gateway) a burst of short-lived garbage would grow the semi-spaces from 1 to 16 MB for
 * good: ≈ 8–10 MB of idle RSS. So the semi-space is held at 1 MB for the first STARTUP_YOUNG_GEN_MS,
 * then may grow to YOUNG_GEN_CAP_MB, so that a loaded gateway still grows its young generation: held
 * at 1 MB under load, short-lived readings and requests survived into old space, ≈ +5 µs CPU per
 * point and ≈ +20 MB RSS at 21,000 points/s (docs/bench.md); at V8's own 16 MB the two semi-spaces
 * were half the heap.
 * --max-semi-space-size is read only when the heap is set up, so the cap works through the growth
 * factor, which V8 reads each time it grows the new space (new = min(limit, factor × current)):
 * after every GC the factor is set to floor(cap / current), so the next growth lands at or below the
 * cap, and to 1 once the cap is reached. V8 raises a factor below 2 to 2 whenever an isolate is set up
 * (measured: a worker thread's start undid the start-up hold), so a factor of 1 is set again after
 * every GC and whenever a worker thread comes online. A scavenge between a worker's isolate set-up
 * and its 'online' event can still grow the space one step (seen once under load). The old generation's growing factor (HEAP_GROWING_PERCENT)
 * is set from the start; V8 reads it whenever it sets the next GC limit.
 * LLMAGENTOS_V8_TUNING=0 leaves V8 alone; so do node flags that size the new space (for the young
 * generation) or set --heap-growing-percent (for the old one).
 */
export function tuneV8(startupMs = STARTUP_YOUNG_GEN_MS) {
  if (process.env.LLMAGENTOS_V8_TUNING === "0") return false;
  const flags = `${process.execArgv.join(" ")} ${process.env.NODE_OPTIONS ?? ""}`;
  let tuned = false;
  if (!/heap-growing-percent/.test(flags)) {
    v8.setFlagsFromString(`--heap-growing-percent=${envNumber("LLMAGENTOS_HEAP_GROWING_PERCENT", HEAP_GROWING_PERCENT)}`);
    tuned = true;
  }
  if (/semi-space/.test(flags)) return tuned;
  const cap = envNumber("LLMAGENTOS_YOUNG_GEN_MB", YOUNG_GEN_CAP_MB);
  let limit = 1;
  let factor = 0;
  const apply = () => {
    const next = limit === 0 ? 2 : Math.max(1, Math.floor(limit / semiSpaceMB()));
    // a factor below 2 is set again each time: V8 raises it to 2 whenever an isolate is set up
    if (next !== factor || next < 2) v8.setFlagsFromString(`--semi-space-growth-factor=${next}`);
    factor = next;
  };
  apply();
  const gcs = new PerformanceObserver(apply);
  gcs.observe({ entryTypes: ["gc"] });
  // ... such as a worker thread's (the config loader, worker agents): set it again once it runs
  const onWorker = (worker) => worker.once("online", apply);
  process.on("worker", onWorker);
  setTimeout(() => {
    limit = cap;
    apply();
    if (cap > 0) return;
    // V8's own limit: nothing left to watch
    gcs.disconnect();
    process.off("worker", onWorker);
  }, startupMs).unref();
  return true;
}

/** A whole number from the environment, else the default. */
function envNumber(name, fallback) {
  const v = process.env[name];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : fallback;
}
