/**
 * The code a process-isolated agent runs, prepared by the gateway (trusted) before the child
 * starts, so that the child needs nothing it could misuse: no tsx (its loader hooks need a worker
 * thread and its esbuild a child process, both refused by the permission model). The entry is the
 * compiled build in dist/ when it is fresh, else one esbuild bundle of process-entry.ts; a module
 * policy is bundled into one file with everything it imports except Node's built-ins, so the child
 * may read that file and nothing of the directory it came from (the config or data dir).
 */
import { mkdirSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { LosError } from "../../core/errors.js";
import type { AgentConfig } from "../../config/agent-schema.js";

const HERE = dirname(fileURLToPath(import.meta.url));
/** the project root, whether this file runs from src/ or from dist/src/ */
export const PROJECT_ROOT = resolve(HERE, /[\\/]dist[\\/]src[\\/]/.test(HERE) ? "../../../.." : "../../..");

const NODE_BUILTINS = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export interface AgentCode {
  /** the file node runs */
  entry: string;
  /** what the child may read (permission model) and sees (bubblewrap): directories end with / */
  readPaths: string[];
  /** the manifest sent to the child, its module policy pointing at the bundle */
  manifest: AgentConfig;
  runtime: "dist" | "bundle";
  /** this run's agent bundle, removed when the run ends */
  agentFile: string | undefined;
}

async function chooseRuntime(root: string): Promise<"dist" | "tsx"> {
  const mod = (await import(pathToFileURL(join(root, "bin", "runtime.mjs")).href)) as { chooseRuntime(root?: string): "dist" | "tsx" };
  return mod.chooseRuntime(root);
}

/** one bundled entry per cache dir and gateway process: the sources do not change under it */
const entryBundles = new Map<string, Promise<string>>();

async function bundle(entry: string, outfile: string, external: string[]): Promise<void> {
  // loaded on first use: a gateway without process agents never loads esbuild
  const { build } = await import("esbuild");
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    external,
    logLevel: "silent",
    // bundled CommonJS packages call require(): give the ESM bundle one
    banner: { js: 'import { createRequire as __losRequire } from "node:module"; const require = __losRequire(import.meta.url);' },
  });
}

function entryBundle(cacheDir: string): Promise<string> {
  let p = entryBundles.get(cacheDir);
  if (!p) {
    const out = join(cacheDir, "process-entry.mjs");
    // tsx is only imported for .ts agent modules, which are bundled to .mjs before they get here
    p = bundle(join(PROJECT_ROOT, "src", "agents", "isolation", "process-entry.ts"), out, [...NODE_BUILTINS, "tsx", "tsx/*"]).then(() => out);
    entryBundles.set(cacheDir, p);
    p.catch(() => entryBundles.delete(cacheDir));
  }
  return p;
}

export interface PrepareOptions {
  manifest: AgentConfig;
  configDir: string;
  /** where bundles are written (under the data dir; the child may read only its own files there) */
  cacheDir: string;
  /** the file name of this run's agent bundle (unique per run) */
  runName: string;
}

export async function prepareAgentCode(o: PrepareOptions): Promise<AgentCode> {
  mkdirSync(o.cacheDir, { recursive: true });
  const readPaths: string[] = [];
  let entry: string;
  let runtime: AgentCode["runtime"];
  if ((await chooseRuntime(PROJECT_ROOT)) === "dist") {
    runtime = "dist";
    entry = join(PROJECT_ROOT, "dist", "src", "agents", "isolation", "process-entry.js");
    // dist/src/ is the gateway's own compiled code; package.json says its .js files are ES modules
    readPaths.push(join(PROJECT_ROOT, "dist", "src") + "/", join(PROJECT_ROOT, "package.json"));
  } else {
    runtime = "bundle";
    entry = await entryBundle(o.cacheDir);
    readPaths.push(entry);
  }
  let manifest = o.manifest;
  let agentFile: string | undefined;
  const policy = o.manifest.policy;
  if (policy?.kind === "module") {
    const source = isAbsolute(policy.file) ? policy.file : resolve(o.configDir, policy.file);
    const out = join(o.cacheDir, `${o.runName}.mjs`);
    try {
      await bundle(source, out, NODE_BUILTINS);
    } catch (cause) {
      throw new LosError("LOS_E_AGENT_CONFIG", `agent "${o.manifest.id}": cannot build ${source}: ${(cause as Error).message}`, { cause });
    }
    manifest = { ...o.manifest, policy: { ...policy, file: out } };
    readPaths.push(out);
    agentFile = out;
  }
  return { entry, readPaths, manifest, runtime, agentFile };
}
