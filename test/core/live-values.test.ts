import { describe, expect, it } from "vitest";
import { LiveValues } from "../../src/core/live-values.js";
import { pointId, splitPointId, type Reading } from "../../src/core/types.js";

describe("LiveValues", () => {
  it("keeps the latest reading per point", () => {
    const live = new LiveValues();
    const r = (point: string, value: number, ts: number): Reading => ({ point, value, ts, quality: "good" });
    live.update([r("a/x", 1, 1), r("a/y", 2, 1)]);
    live.update([r("a/x", 3, 2)]);
    expect(live.size).toBe(2);
    expect(live.get("a/x")).toEqual(r("a/x", 3, 2));
    expect(live.get("a/z")).toBeUndefined();
    expect([...live.entries()].map(([k]) => k).sort()).toEqual(["a/x", "a/y"]);
    live.update([{ point: "a/x", value: null, ts: 3, quality: "bad", error: "LOS_E_DEVICE_TIMEOUT" }]);
    expect(live.get("a/x")?.quality).toBe("bad");
  });
});

describe("point ids", () => {
  it("join and split at the first slash", () => {
    expect(pointId("gh1", "temperature")).toBe("gh1/temperature");
    expect(splitPointId("gh1/temperature")).toEqual({ device: "gh1", point: "temperature" });
    expect(splitPointId("gh1/a/b")).toEqual({ device: "gh1", point: "a/b" });
    for (const bad of ["gh1", "/x", "gh1/", ""]) expect(splitPointId(bad)).toBeUndefined();
  });
});
