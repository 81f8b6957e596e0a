// How the llmagentos command runs: which code (the compiled build in dist/ or the TypeScript
// sources through tsx) and with which V8 memory setting. Shared by bin/llmagentos.mjs and the
// startup bench, so the bench measures what users run.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, URL } from "node:url";
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

/**
 * V8's young generation. By default the command leaves it to V8 (semi-spaces grow to 16 MB under
 * load): measured with 100 devices at 21,000 points/s, keeping it at 1 MB
 * (`--semi-space-growth-factor=1`) cost ≈ 5 µs more CPU per point and ≈ 20 MB more RSS under load
 * (short-lived readings and requests survive into old space), for ≈ 8–10 MB less RSS idle
 * (docs/bench.md). LLMAGENTOS_V8_TUNING=1 opts into the small young generation for small, mostly
 * idle gateways; it is skipped when the node flags already size the new space.
 */
export function tuneV8() {
  if (process.env.LLMAGENTOS_V8_TUNING !== "1") return false;
  if (/semi-space/.test(`${process.execArgv.join(" ")} ${process.env.NODE_OPTIONS ?? ""}`)) return false;
  v8.setFlagsFromString("--semi-space-growth-factor=1");
  return true;
}
