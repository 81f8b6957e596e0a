#!/usr/bin/env node
// `npm run build`: compile the runtime code (src/ and the simulators the CLI runs) to plain
// JavaScript in dist/, one .js (and .js.map) per .ts, so `node dist/src/cli/main.js` runs without the
// tsx loader. esbuild (the one tsx ships) transpiles only, in ~0.2 s: type errors are `npm run
// typecheck`'s job. dist/build-info.json's mtime is the time the build started: bin/llmagentos.mjs
// runs dist/ only when no file in src/ or simulators/ is newer than that. --if-stale: do nothing
// when dist/ is already fresh (what `npm start` runs first); --quiet: no summary line.
import { mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, URL } from "node:url";
import { build } from "esbuild";
import { distIsFresh, SOURCE_DIRS } from "../bin/runtime.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const outdir = join(root, "dist");
if (process.argv.includes("--if-stale") && distIsFresh(root)) process.exit(0);

const started = new Date();
const entryPoints = SOURCE_DIRS.flatMap((dir) =>
  readdirSync(join(root, dir), { recursive: true })
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .map((f) => join(dir, f)),
);
for (const dir of SOURCE_DIRS) rmSync(join(outdir, dir), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints,
  outdir,
  outbase: ".",
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: "linked",
  logLevel: "warning",
});
mkdirSync(outdir, { recursive: true });
const info = join(outdir, "build-info.json");
writeFileSync(info, `${JSON.stringify({ builtAt: started.toISOString(), files: entryPoints.length }, null, 2)}\n`);
utimesSync(info, started, started);
if (!process.argv.includes("--quiet")) {
  console.log(`built ${entryPoints.length} files into dist/ in ${Date.now() - started.getTime()} ms`);
}
