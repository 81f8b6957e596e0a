import { describe, expect, it } from "vitest";
import { compilePointPattern, compilePointPatterns, patternDevice } from "../../src/core/point-pattern.js";

describe("point patterns", () => {
  it("an exact id matches only itself", () => {
    const m = compilePointPattern("gh1/temperature");
    expect(m("gh1/temperature")).toBe(true);
    expect(m("gh1/temperature2")).toBe(false);
    expect(m("gh2/temperature")).toBe(false);
  });

  it("* matches one whole segment", () => {
    const allOfGh1 = compilePointPattern("gh1/*");
    expect(allOfGh1("gh1/temperature")).toBe(true);
    expect(allOfGh1("gh1/heater")).toBe(true);
    expect(allOfGh1("gh10/heater")).toBe(false);
    expect(allOfGh1("gh1")).toBe(false);
    const everyTemp = compilePointPattern("*/temperature");
    expect(everyTemp("gh1/temperature")).toBe(true);
    expect(everyTemp("gh2/temperature")).toBe(true);
    expect(everyTemp("gh2/humidity")).toBe(false);
    expect(everyTemp("/temperature")).toBe(false);
  });

  it("*, ** and */* alone match every point", () => {
    for (const p of ["*", "**", "*/*"]) expect(compilePointPattern(p)("any/thing")).toBe(true);
  });

  it("a list matches when any pattern does; an empty or missing list matches nothing", () => {
    const m = compilePointPatterns(["gh1/heater", "gh2/*"]);
    expect(m("gh1/heater")).toBe(true);
    expect(m("gh2/fan")).toBe(true);
    expect(m("gh1/fan")).toBe(false);
    expect(compilePointPatterns([])("gh1/heater")).toBe(false);
    expect(compilePointPatterns(undefined)("gh1/heater")).toBe(false);
    expect(compilePointPatterns(["gh1/heater"])("gh1/heater")).toBe(true);
  });

  it("patternDevice names the device unless it is a wildcard", () => {
    expect(patternDevice("gh1/*")).toBe("gh1");
    expect(patternDevice("gh1/heater")).toBe("gh1");
    expect(patternDevice("gh1")).toBe("gh1");
    expect(patternDevice("*/temperature")).toBeUndefined();
    expect(patternDevice("**")).toBeUndefined();
  });
});
