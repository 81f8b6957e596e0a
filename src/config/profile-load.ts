/**
 * Load and check a device profile: the schema first, then what a schema cannot say (addresses that
 * overlap or run off the end of the map, types that do not fit the register kind, envelopes that
 * contradict themselves).
 */
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { LosError } from "../core/errors.js";
import { DeviceProfile, REGISTER_WORDS, type DataType, type PointDef } from "./profile-schema.js";
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


const isBitKind = (p: PointDef) => p.register === "coil" || p.register === "discrete";

/** The data type a point has once defaults apply: bool for bit kinds, uint16 for registers. */
export function effectiveType(p: PointDef): DataType {
  return p.type ?? (isBitKind(p) || p.bit !== undefined ? "bool" : "uint16");
}

/** How many addresses (bits or registers) a point occupies. */
export function pointWidth(p: PointDef): number {
  return isBitKind(p) ? 1 : REGISTER_WORDS[effectiveType(p)];
}

function checkPoint(p: PointDef, i: number, problems: SchemaProblem[]): void {
  const at = (key: string, message: string) => problems.push({ path: ["points", i, key], message });
  const type = effectiveType(p);
  if (isBitKind(p) && type !== "bool") at("type", `a ${p.register} holds one bit: type must be bool, got ${type}`);
  if (isBitKind(p) && p.bit !== undefined) at("bit", `bit fields apply to registers, not to a ${p.register}`);
  if (!isBitKind(p) && type === "bool" && p.bit === undefined) at("bit", "a bool on a register needs `bit` (0-15)");
  if (p.bit !== undefined && type !== "bool") at("type", "a bit field must have type bool");
  if (p.address + pointWidth(p) > 65536) at("address", `${p.address} + ${pointWidth(p)} registers runs past 65535`);
  if (p.writable && (p.register === "discrete" || p.register === "input")) {
    at("writable", `a ${p.register} is read-only in Modbus`);
  }
  if (p.writable && p.bit !== undefined) at("writable", "writable bit fields are not supported; map the whole register");
  if (p.scale === 0) at("scale", "scale 0 would make every value the same");
  const env = p.envelope;
  if (!env) return;
  if (!p.writable) at("envelope", "an envelope only applies to writable points");
  if (env.min !== undefined && env.max !== undefined && env.min > env.max) at("envelope", `min ${env.min} > max ${env.max}`);
  const safe = env.safeValue;
  if (safe !== undefined) {
    if ((type === "bool") !== (typeof safe === "boolean")) at("envelope", `safeValue ${safe} does not fit type ${type}`);
    if (typeof safe === "number" && ((env.min !== undefined && safe < env.min) || (env.max !== undefined && safe > env.max))) {
      at("envelope", `safeValue ${safe} is outside [${env.min}, ${env.max}]`);
    }
  }
}

function checkOverlaps(points: PointDef[], problems: SchemaProblem[]): void {
  const taken = new Map<string, { index: number; bit?: number }[]>();
  points.forEach((p, i) => {
    for (let a = p.address; a < p.address + pointWidth(p); a++) {
      const key = `${p.register}:${a}`;
      const users = taken.get(key) ?? [];
      for (const u of users) {
        const other = points[u.index]!;
        const bothBits = p.bit !== undefined && u.bit !== undefined;
        const oneBit = (p.bit !== undefined) !== (u.bit !== undefined);
        // A bit field may share a register with the whole-register point it is part of.
        if (oneBit || (bothBits && p.bit !== u.bit)) continue;
        problems.push({
          path: ["points", i, "address"],
          message: `${p.register} ${a} is also used by point "${other.name}"`,
        });
        return;
      }
      users.push(p.bit === undefined ? { index: i } : { index: i, bit: p.bit });
      taken.set(key, users);
    }
  });
}

function checkNames(points: PointDef[], problems: SchemaProblem[]): void {
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
  const problems: SchemaProblem[] = [];
  profile.points.forEach((p, i) => checkPoint(p, i, problems));
  checkOverlaps(profile.points, problems);
  checkNames(profile.points, problems);
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
