import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { effectiveType, pointWidth } from "../../src/config/modbus-profile-checks.js";
import { BUILTIN_PROFILES_DIR, checkProfile, loadProfileFile, resolveProfilePath } from "../../src/config/profile-load.js";
import type { DeviceProfile, ModbusPointDef } from "../../src/config/profile-schema.js";
import { BAD_PROFILES, PROFILES, catchLos, tempDir, writeFile } from "./helpers.js";

function bad(name: string) {
  const file = join(BAD_PROFILES, name);
  const err = catchLos(() => loadProfileFile(file));
  expect(err.code).toBe("LOS_E_PROFILE_INVALID");
  expect(err.message).toContain(file);
  return { err, problems: (err.details.problems ?? []) as { path: string; message: string; line?: number }[] };
}

describe("loadProfileFile", () => {
  it("loads a valid profile", () => {
    const p = loadProfileFile(join(PROFILES, "acme/climate.yaml"));
    expect(p.vendor).toBe("acme");
    expect(p.points.map((x) => x.name)).toContain("heater");
  });

  it("overlapping addresses", () => {
    const { err, problems } = bad("overlap.yaml");
    expect(problems).toEqual([{ path: "points[1].address", message: 'holding 1 is also used by point "a"', line: 12 }]);
    expect(err.message).toContain("overlap.yaml:12:");
  });

  it("an address that runs past 65535", () => {
    const { problems } = bad("out-of-range.yaml");
    expect(problems).toEqual([{ path: "points[0].address", message: "65535 + 2 registers runs past 65535", line: 8 }]);
  });

  it("an address above 65535 is a schema error", () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = writeFile(dir, "p.yaml", "vendor: a\nmodel: b\nprotocol: modbus\nsource: s\npoints:\n  - { name: x, register: input, address: 70000 }\n");
      const err = catchLos(() => loadProfileFile(file));
      expect(err.code).toBe("LOS_E_PROFILE_INVALID");
      expect(err.message).toContain("points[0].address");
      expect(err.message).toContain("p.yaml:6:");
    } finally {
      cleanup();
    }
  });

  it("an unknown data type", () => {
    const { problems } = bad("unknown-type.yaml");
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: "points[0].type", line: 9 });
    expect(problems[0]!.message).toContain('"float16"');
  });

  it("a coil with type float32", () => {
    const { problems } = bad("coil-float.yaml");
    expect(problems).toEqual([{ path: "points[0].type", message: "a coil holds one bit: type must be bool, got float32", line: 9 }]);
  });

  it("a writable input register", () => {
    const { problems } = bad("writable-input.yaml");
    expect(problems).toEqual([{ path: "points[0].writable", message: "a input is read-only in Modbus", line: 9 }]);
  });

  it("an envelope with min > max", () => {
    const { problems } = bad("envelope-min-max.yaml");
    expect(problems).toEqual([{ path: "points[0].envelope", message: "min 30 > max 10", line: 10 }]);
  });

  it("bit fields: non-bool type, bool without bit, bit on a coil, two points on one bit", () => {
    const { problems } = bad("bit-fields.yaml");
    expect(problems.map((p) => [p.path, p.message])).toEqual([
      ["points[0].type", "a bit field must have type bool"],
      ["points[1].bit", "a bool on a register needs `bit` (0-15)"],
      ["points[2].bit", "bit fields apply to registers, not to a coil"],
      ["points[4].address", 'holding 2 is also used by point "same1"'],
    ]);
  });

  it("an unknown key names file, line and path", () => {
    const { err, problems } = bad("unknown-key.yaml");
    expect(problems).toEqual([{ path: "points[0].adress", message: "unknown key (not in the schema)", line: 9 }]);
    expect(err.message).toContain(`${join(BAD_PROFILES, "unknown-key.yaml")}:9:5 points[0].adress: unknown key`);
  });

  it("bad YAML syntax reports the line", () => {
    const err = catchLos(() => loadProfileFile(join(BAD_PROFILES, "bad-yaml.yaml")));
    expect(err.code).toBe("LOS_E_PROFILE_INVALID");
    expect(err.message).toMatch(/bad-yaml\.yaml:\d+:\d+/);
    expect(err.details.line).toBeGreaterThanOrEqual(7);
  });

  it("a missing file is LOS_E_PROFILE_NOT_FOUND", () => {
    const err = catchLos(() => loadProfileFile(join(BAD_PROFILES, "nope.yaml")));
    expect(err.code).toBe("LOS_E_PROFILE_NOT_FOUND");
  });
});

describe("checkProfile (semantic checks on a parsed profile)", () => {
  const profile = (...points: ModbusPointDef[]): DeviceProfile => ({ vendor: "v", model: "m", protocol: "modbus", source: "s", points });

  it("bits of one register and the whole register may coexist", () => {
    expect(
      checkProfile(
        profile(
          { name: "word", register: "holding", address: 3 },
          { name: "b0", register: "holding", address: 3, bit: 0 },
          { name: "b1", register: "holding", address: 3, bit: 1 },
        ),
      ),
    ).toEqual([]);
  });

  it("the same address in different register kinds does not overlap", () => {
    expect(
      checkProfile(
        profile(
          { name: "a", register: "holding", address: 0 },
          { name: "b", register: "input", address: 0 },
          { name: "c", register: "coil", address: 0 },
          { name: "d", register: "discrete", address: 0 },
        ),
      ),
    ).toEqual([]);
  });

  it("duplicate names, an envelope on a read-only point, an interlock on a missing point, scale 0", () => {
    const problems = checkProfile(
      profile(
        { name: "a", register: "holding", address: 0, scale: 0 },
        { name: "a", register: "holding", address: 1, envelope: { min: 0 } },
        { name: "c", register: "coil", address: 0, writable: true, envelope: { interlocks: [{ point: "ghost", op: "==", value: true }] } },
      ),
    );
    expect(problems.map((p) => p.message)).toEqual([
      "scale 0 would make every value the same",
      "an envelope only applies to writable points",
      'duplicate point name "a"',
      'no point "ghost" in this profile',
    ]);
  });

  it("safe values must fit the type and the range", () => {
    const problems = checkProfile(
      profile(
        { name: "a", register: "coil", address: 0, writable: true, envelope: { safeValue: 0 } },
        { name: "b", register: "holding", address: 0, writable: true, envelope: { safeValue: true } },
        { name: "c", register: "holding", address: 1, writable: true, envelope: { min: 10, max: 20, safeValue: 5 } },
        { name: "d", register: "holding", address: 2, writable: true, bit: 0 },
      ),
    );
    expect(problems.map((p) => p.message)).toEqual([
      "writable bit fields are not supported; map the whole register",
      "safeValue 0 does not fit a bool point",
      "safeValue true does not fit a number point",
      "safeValue 5 is outside [10, 20]",
    ]);
  });

  it("effectiveType and pointWidth", () => {
    expect(effectiveType({ name: "x", register: "coil", address: 0 })).toBe("bool");
    expect(effectiveType({ name: "x", register: "holding", address: 0 })).toBe("uint16");
    expect(effectiveType({ name: "x", register: "holding", address: 0, bit: 2 })).toBe("bool");
    expect(pointWidth({ name: "x", register: "input", address: 0, type: "float64" })).toBe(4);
    expect(pointWidth({ name: "x", register: "input", address: 0, type: "int32" })).toBe(2);
    expect(pointWidth({ name: "x", register: "coil", address: 0 })).toBe(1);
  });
});

describe("resolveProfilePath", () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it("finds <vendor>/<model> in the search dirs first", () => {
    expect(resolveProfilePath("acme/climate", dir, [PROFILES])).toBe(join(PROFILES, "acme/climate.yaml"));
  });

  it("resolves a .yaml path relative to the base dir, or absolute", () => {
    writeFile(dir, "mine.yml", "x: 1");
    expect(resolveProfilePath("mine.yml", dir)).toBe(join(dir, "mine.yml"));
    expect(resolveProfilePath(join(PROFILES, "acme/meter.yaml"), dir)).toBe(join(PROFILES, "acme/meter.yaml"));
  });

  it("a missing name lists every directory searched, ending with the built-in catalogue", () => {
    const err = catchLos(() => resolveProfilePath("acme/missing", dir, [PROFILES]));
    expect(err.code).toBe("LOS_E_PROFILE_NOT_FOUND");
    expect(err.message).toContain(`${PROFILES}, ${BUILTIN_PROFILES_DIR}`);
    expect(err.details.profile).toBe("acme/missing");
  });

  it("the built-in catalogue is the repository's devices/ folder", () => {
    expect(BUILTIN_PROFILES_DIR.endsWith("/devices")).toBe(true);
  });
});
