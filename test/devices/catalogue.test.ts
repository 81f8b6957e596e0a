/**
 * The catalogue test: every *.yaml under devices/ (every vendor, every protocol, including profiles
 * added later) loads with loadProfileFile (schema and semantic checks, among them overlapping
 * addresses), cites a source, gives every numeric point a unit and every writable point an
 * envelope, and sits at devices/<vendor>/<model>.yaml with lower-case kebab-case names that match
 * its vendor and model fields. The same checks run on a deliberately broken catalogue to show they bite.
 */
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BUILTIN_PROFILES_DIR, loadProfileFile } from "../../src/config/profile-load.js";

const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...yamlFiles(path));
    else if (/\.ya?ml$/.test(e.name)) out.push(path);
  }
  return out.sort();
}

type RawPoint = Record<string, unknown>;

/** bool, string or number, whatever the protocol calls its types (bool/Boolean, string/String). */
function valueKind(p: RawPoint): "bool" | "string" | "number" {
  const type = typeof p.type === "string" ? p.type : undefined;
  if (type === "bool" || type === "Boolean") return "bool";
  if (type === "string" || type === "String") return "string";
  if (type === undefined && (p.register === "coil" || p.register === "discrete" || p.bit !== undefined)) return "bool";
  return "number";
}

/** Everything wrong with one catalogue file, as readable lines (empty when it is fine). */
function fileProblems(root: string, file: string): string[] {
  const rel = relative(root, file).split(sep).join("/");
  const problems: string[] = [];
  const parts = rel.split("/");
  if (parts.length !== 2 || !rel.endsWith(".yaml")) {
    return [`${rel}: profiles live at <vendor>/<model>.yaml`];
  }
  const [vendorDir, fileName] = parts as [string, string];
  const modelName = fileName.slice(0, -".yaml".length);
  if (!KEBAB.test(vendorDir)) problems.push(`${rel}: vendor folder "${vendorDir}" is not lower-case kebab-case`);
  if (!KEBAB.test(modelName)) problems.push(`${rel}: file name "${modelName}" is not lower-case kebab-case`);
  let profile: { vendor: string; model: string; source?: string; points: readonly unknown[] };
  try {
    profile = loadProfileFile(file);
  } catch (err) {
    return [...problems, `${rel}: does not load: ${(err as Error).message}`];
  }
  if (profile.vendor !== vendorDir) problems.push(`${rel}: vendor "${profile.vendor}" does not match its folder "${vendorDir}"`);
  if (profile.model !== modelName) problems.push(`${rel}: model "${profile.model}" does not match its file name "${modelName}"`);
  if (typeof profile.source !== "string" || profile.source.trim() === "") problems.push(`${rel}: no source`);
  for (const raw of profile.points) {
    const p = raw as RawPoint;
    const name = String(p.name);
    if (valueKind(p) === "number" && typeof p.unit !== "string") problems.push(`${rel}: numeric point ${name} has no unit (use "" if dimensionless)`);
    if (p.writable === true && (typeof p.envelope !== "object" || p.envelope === null)) problems.push(`${rel}: writable point ${name} has no envelope`);
  }
  return problems;
}

function catalogueProblems(root: string): string[] {
  return yamlFiles(root).flatMap((f) => fileProblems(root, f));
}

describe("catalogue: every profile under devices/", () => {
  const files = yamlFiles(BUILTIN_PROFILES_DIR).map((f) => relative(BUILTIN_PROFILES_DIR, f).split(sep).join("/"));

  it("finds the shipped profiles", () => {
    expect(files).toEqual(
      expect.arrayContaining(["abb/acs355.yaml", "eastron/sdm120.yaml", "eastron/sdm630.yaml", "generic/xy-md02.yaml", "llmagentos/greenhouse-sim.yaml"]),
    );
  });

  for (const file of files) {
    it(`${file}: loads, cites a source, units on numbers, envelopes on writes, named after its path`, () => {
      expect(fileProblems(BUILTIN_PROFILES_DIR, join(BUILTIN_PROFILES_DIR, file))).toEqual([]);
    });
  }
});

describe("catalogue checks on a broken catalogue", () => {
  const root = mkdtempSync(join(tmpdir(), "los-catalogue-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const write = (rel: string, text: string) => {
    mkdirSync(join(root, rel, ".."), { recursive: true });
    writeFileSync(join(root, rel), text);
  };
  write(
    "acme/meter-1.yaml",
    [
      "vendor: acme",
      "model: meter-one",
      "protocol: modbus",
      "source: datasheet",
      "points:",
      "  - { name: volts, register: input, address: 0, type: float32 }",
      "  - { name: relay, register: coil, address: 0, writable: true }",
      "  - { name: flag, register: discrete, address: 0 }",
    ].join("\n"),
  );
  write(
    "acme/overlap.yaml",
    [
      "vendor: acme",
      "model: overlap",
      "protocol: modbus",
      "source: datasheet",
      "points:",
      "  - { name: a, register: input, address: 0, type: float32, unit: V }",
      "  - { name: b, register: input, address: 1, type: uint16, unit: V }",
    ].join("\n"),
  );
  write("Acme/Bad_Name.yaml", "vendor: Acme\nmodel: Bad_Name\nprotocol: modbus\nsource: x\npoints:\n  - { name: a, register: coil, address: 0 }\n");
  write("loose.yaml", "vendor: x\n");

  it("reports every kind of problem, and nothing for the good points", () => {
    const problems = catalogueProblems(root);
    expect(problems).toEqual(
      expect.arrayContaining([
        'acme/meter-1.yaml: model "meter-one" does not match its file name "meter-1"',
        'acme/meter-1.yaml: numeric point volts has no unit (use "" if dimensionless)',
        "acme/meter-1.yaml: writable point relay has no envelope",
        'Acme/Bad_Name.yaml: vendor folder "Acme" is not lower-case kebab-case',
        'Acme/Bad_Name.yaml: file name "Bad_Name" is not lower-case kebab-case',
        "loose.yaml: profiles live at <vendor>/<model>.yaml",
      ]),
    );
    expect(problems.some((p) => p.startsWith("acme/overlap.yaml: does not load:") && p.includes("also used by"))).toBe(true);
    expect(problems.some((p) => p.includes("point flag"))).toBe(false);
    expect(problems).toHaveLength(7);
  });
});
