/**
 * Load and check a device profile: the schema first, then what a schema cannot say (each protocol's
 * own checks: addresses that overlap, node ids that do not parse, values a framing cannot locate;
 * then envelopes that contradict themselves and interlocks on missing points).
 */
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { LosError } from "../core/errors.js";
import { checkModbusPoints } from "./modbus-profile-checks.js";
import { checkOpcuaPoints } from "./opcua-profile-checks.js";
import { valueKind } from "./point-kind.js";
import { DeviceProfile, type PointDef } from "./profile-schema.js";
import { checkSerialPoints } from "./serial-profile-checks.js";
import { validateSchema, type SchemaProblem } from "./validate.js";
import { problemsError, readYamlFile } from "./yaml-file.js";

/**
 * The profiles shipped with the package: `devices/` at the package root, found by walking up from
 * this module (it runs from src/config/ through tsx, or from the compiled build in dist/).
 */
export const BUILTIN_PROFILES_DIR = packageDir("devices");

function packageDir(name: string): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, name))) return join(dir, name);
    if (dirname(dir) === dir) return resolve(here, "../..", name);
  }
}


function checkEnvelope(p: PointDef, i: number, problems: SchemaProblem[]): void {
  const env = p.envelope;
  if (!env) return;
  const at = (message: string) => problems.push({ path: ["points", i, "envelope"], message });
  const kind = valueKind(p);
  if (!p.writable) at("an envelope only applies to writable points");
  if (env.min !== undefined && env.max !== undefined && env.min > env.max) at(`min ${env.min} > max ${env.max}`);
  if (kind !== "number" && (env.min !== undefined || env.max !== undefined || env.maxRatePerSec !== undefined)) {
    at(`min, max and maxRatePerSec apply to numbers; this point carries a ${kind}`);
  }
  const safe = env.safeValue;
  if (safe === undefined) return;
  const safeKind = typeof safe === "boolean" ? "bool" : typeof safe === "number" ? "number" : "string";
  if (safeKind !== kind) at(`safeValue ${JSON.stringify(safe)} does not fit a ${kind} point`);
  if (typeof safe === "number" && ((env.min !== undefined && safe < env.min) || (env.max !== undefined && safe > env.max))) {
    at(`safeValue ${safe} is outside [${env.min}, ${env.max}]`);
  }
}

function protocolProblems(profile: DeviceProfile): SchemaProblem[] {
  switch (profile.protocol) {
    case "modbus":
      return checkModbusPoints(profile.points);
    case "opcua":
      return checkOpcuaPoints(profile.points);
    case "serial":
      return checkSerialPoints(profile.framing, profile.points);
  }
}

function checkNames(points: readonly PointDef[], problems: SchemaProblem[]): void {
  const names = new Set(points.map((p) => p.name));
  const seen = new Set<string>();
  points.forEach((p, i) => {
    if (seen.has(p.name)) problems.push({ path: ["points", i, "name"], message: `duplicate point name "${p.name}"` });
    seen.add(p.name);
    p.envelope?.interlocks?.forEach((lock, j) => {
      if (!lock.point.includes("/") && !names.has(lock.point)) {
        problems.push({
          path: ["points", i, "envelope", "interlocks", j, "point"],
          message: `no point "${lock.point}" in this profile`,
        });
      }
    });
  });
}

export function checkProfile(profile: DeviceProfile): SchemaProblem[] {
  const problems = protocolProblems(profile);
  const points: readonly PointDef[] = profile.points;
  points.forEach((p, i) => checkEnvelope(p, i, problems));
  checkNames(points, problems);
  return problems;
}

export function loadProfileFile(file: string): DeviceProfile {
  const yaml = readYamlFile(file, "LOS_E_PROFILE_NOT_FOUND", "LOS_E_PROFILE_INVALID");
  const schemaProblems = validateSchema(DeviceProfile, yaml.value);
  if (schemaProblems.length > 0) throw problemsError("LOS_E_PROFILE_INVALID", yaml, schemaProblems);
  const profile = yaml.value as DeviceProfile;
  const problems = checkProfile(profile);
  if (problems.length > 0) throw problemsError("LOS_E_PROFILE_INVALID", yaml, problems);
  return profile;
}

/**
 * Find a profile: a path (absolute, or relative to `baseDir`, ending in .yaml/.yml) or a catalogue
 * name `<vendor>/<model>` looked up in `searchDirs` and then in the built-in devices/.
 */
export function resolveProfilePath(ref: string, baseDir: string, searchDirs: string[] = []): string {
  if (/\.ya?ml$/.test(ref)) {
    const file = isAbsolute(ref) ? ref : resolve(baseDir, ref);
    if (existsSync(file)) return file;
    throw new LosError("LOS_E_PROFILE_NOT_FOUND", `profile file ${file} does not exist`, { details: { profile: ref } });
  }
  const dirs = [...searchDirs, BUILTIN_PROFILES_DIR];
  for (const dir of dirs) {
    const file = join(dir, `${ref}.yaml`);
    if (existsSync(file)) return file;
  }
  throw new LosError(
    "LOS_E_PROFILE_NOT_FOUND",
    `no profile "${ref}" in ${dirs.join(", ")} (expected <vendor>/<model> naming <dir>/<vendor>/<model>.yaml)`,
    { details: { profile: ref } },
  );
}
