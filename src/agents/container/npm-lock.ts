/**
 * package.json and package-lock.json of a container agent's image: one dependency, llmagentos at this
 * exact version, and under it the very dependency tree llmagentos was tested with (every version and
 * integrity hash from llmagentos's own lockfile, dev packages left out), so `npm ci` in the image
 * installs what CI installed. The lock says where each package sits in node_modules, as npm would
 * lay out an app that depends on llmagentos alone: its dependencies hoisted beside it.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { LosError } from "../../core/errors.js";

interface LockEntry {
  version?: string;
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  [key: string]: unknown;
}

interface Lockfile {
  name?: string;
  version?: string;
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
  [key: string]: unknown;
}

/** The llmagentos package root: the nearest folder up from here with its package.json. */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (existsSync(file) && (JSON.parse(readFileSync(file, "utf8")) as { name?: string }).name === "llmagentos") return dir;
    if (dirname(dir) === dir) throw new LosError("LOS_E_INTERNAL", `no llmagentos package.json above ${from}`);
  }
}

/** llmagentos's own lockfile; an installed package has none (npm does not publish package-lock.json). */
export function readOwnLockfile(root = packageRoot()): Lockfile | undefined {
  for (const name of ["npm-shrinkwrap.json", "package-lock.json"]) {
    const file = join(root, name);
    if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as Lockfile;
  }
  return undefined;
}

export function imagePackageJson(appName: string, version: string): Record<string, unknown> {
  return {
    name: appName,
    version,
    private: true,
    description: "A container agent of LLMAgentOS: llmagentos run-agent with the agent's config",
    dependencies: { llmagentos: version },
  };
}

/** The image's lockfile, derived from llmagentos's lockfile `own` (lockfileVersion 2 or 3). */
export function imageLockfile(own: Lockfile, appName: string, version: string): Lockfile {
  const root = own.packages[""];
  if (own.lockfileVersion < 2 || !root) {
    throw new LosError("LOS_E_INTERNAL", `llmagentos's lockfile has version ${own.lockfileVersion}; regenerate it with npm 7 or later`);
  }
  if (root.version !== version) {
    throw new LosError("LOS_E_INTERNAL", `llmagentos's lockfile is for version ${String(root.version)}, this is ${version}; run npm install`);
  }
  const packages: Record<string, LockEntry> = {
    "": { name: appName, version, dependencies: { llmagentos: version } },
    // no `resolved`/`integrity` for llmagentos itself: they exist once the package is published, and
    // npm fills them from whichever registry the builder uses
    "node_modules/llmagentos": {
      version,
      license: root.license,
      dependencies: root.dependencies,
      bin: root.bin,
      engines: root.engines,
    },
  };
  for (const [path, entry] of Object.entries(own.packages)) {
    if (path === "" || entry.dev === true) continue;
    if (entry.devOptional === true) {
      // needed by dev or optional packages; with dev gone only the optional path is left
      const { devOptional: _devOptional, ...rest } = entry;
      packages[path] = { ...rest, optional: true };
    } else {
      packages[path] = entry;
    }
  }
  return { name: appName, version, lockfileVersion: 3, requires: true, packages };
}
