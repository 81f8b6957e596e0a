import { describe, expect, it } from "vitest";
import { parseCondition } from "../../src/core/condition.js";
import { LosError } from "../../src/core/errors.js";
import type { Value } from "../../src/core/types.js";

const world = (values: Record<string, Value | undefined>) => (p: string) => values[p];
const test = (text: string, values: Record<string, Value | undefined>) => parseCondition(text).test(world(values));

describe("rule conditions", () => {
  it("compares points with numbers and booleans", () => {
    const v = { "gh1/t": 28, "gh1/door": false };
    expect(test("gh1/t > 27.5", v)).toBe(true);
    expect(test("gh1/t>28", v)).toBe(false);
    expect(test("gh1/t >= 28", v)).toBe(true);
    expect(test("gh1/t < -1", v)).toBe(false);
    expect(test("gh1/t <= 28", v)).toBe(true);
    expect(test("gh1/t == 28", v)).toBe(true);
    expect(test("gh1/t != 28", v)).toBe(false);
    expect(test("gh1/door == false", v)).toBe(true);
    expect(test("gh1/door == 0", v)).toBe(true);
    expect(test("28 == gh1/t", v)).toBe(true);
  });

  it("a bare point is true when non-zero / true", () => {
    expect(test("gh1/fan", { "gh1/fan": true })).toBe(true);
    expect(test("gh1/fan", { "gh1/fan": false })).toBe(false);
    expect(test("gh1/level", { "gh1/level": 3 })).toBe(true);
    expect(test("true", {})).toBe(true);
  });

  it("and binds tighter than or", () => {
    // a or (b and c)
    expect(test("a/x or a/y and a/z", { "a/x": true, "a/y": false, "a/z": false })).toBe(true);
    // (a or b) and c would be false here
    expect(test("(a/x or a/y) and a/z", { "a/x": true, "a/y": false, "a/z": false })).toBe(false);
    expect(test("a/x and a/y or a/z", { "a/x": false, "a/y": true, "a/z": true })).toBe(true);
  });

  it("parentheses nest", () => {
    const v = { "gh1/t": 30, "gh1/door": true, "gh1/vent": false };
    expect(test("gh1/t > 28 and (gh1/door == false or not gh1/vent)", v)).toBe(true);
    expect(test("((gh1/t > 28)) and ((gh1/door == false) or (gh1/vent))", v)).toBe(false);
  });

  it("not applies to the comparison that follows it", () => {
    expect(test("not gh1/t > 28", { "gh1/t": 30 })).toBe(false);
    expect(test("not gh1/t > 28 and gh1/t > 0", { "gh1/t": 10 })).toBe(true);
    expect(test("not not gh1/fan", { "gh1/fan": true })).toBe(true);
    expect(test("not (gh1/t > 28 or gh1/t < 10)", { "gh1/t": 20 })).toBe(true);
  });

  it("unknown or non-numeric readings make the condition false, even under not", () => {
    expect(test("gh1/t > 28", {})).toBe(false);
    expect(test("gh1/t < 28", {})).toBe(false);
    expect(test("gh1/t != 28", {})).toBe(false);
    expect(test("gh1/t > 28", { "gh1/t": "hot" })).toBe(false);
    expect(test("gh1/door", {})).toBe(false);
    // rules never act on unknown data: `not unknown` is still unknown
    expect(test("not gh1/door", {})).toBe(false);
    expect(test("not gh1/t > 28", {})).toBe(false);
    expect(test("not (gh1/t > 28 and gh1/h > 50)", { "gh1/t": 30 })).toBe(false);
    // …but a known false in an `and`, or a known true in an `or`, decides
    expect(test("not (gh1/t > 28 and gh1/h > 50)", { "gh1/t": 20 })).toBe(true);
    expect(test("gh1/t > 28 or gh1/h > 50", { "gh1/h": 60 })).toBe(true);
    expect(test("gh1/t > 28 and gh1/h > 50", { "gh1/h": 60 })).toBe(false);
  });

  it("lists the points it reads", () => {
    expect(parseCondition("gh1/t > 28 and (gh1/door == false or not gh2/vent) and gh1/t < 40").points.sort()).toEqual(["gh1/door", "gh1/t", "gh2/vent"]);
  });

  it("syntax errors are LOS_E_AGENT_CONFIG naming the condition", () => {
    const cases: [string, RegExp][] = [
      ["", /ends too early/],
      ["   ", /ends too early/],
      ["gh1/t >", /ends too early/],
      ["gh1/t > 28 and", /ends too early/],
      ["(gh1/t > 28", /ends too early/],
      ["gh1/t > 28)", /unexpected "\)"/],
      ["gh1/t > 28 29", /unexpected "29"/],
      ["temperature > 28", /unexpected "temperature"/],
      ["gh1/t > 28 AND gh1/h < 3", /unexpected "AND"/],
      ["gh1/t => 28", /unexpected "="|cannot read/],
      ["gh1/t > 28 && gh1/h", /cannot read condition .* at character 12/],
      ["(gh1/t > 28 or gh1/h) x", /unexpected "x"/],
    ];
    for (const [text, message] of cases) {
      let err: unknown;
      try {
        parseCondition(text);
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(LosError);
      expect((err as LosError).code).toBe("LOS_E_AGENT_CONFIG");
      expect((err as LosError).message, text).toMatch(message);
      expect((err as LosError).message).toContain(`"${text}"`);
    }
  });
});
