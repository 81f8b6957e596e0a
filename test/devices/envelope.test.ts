import { describe, expect, it } from "vitest";
import type { PointDef } from "../../src/config/profile-schema.js";
import type { Reading, Value } from "../../src/core/types.js";
import { checkEnvelope, type EnvelopeRequest } from "../../src/devices/envelope.js";

const T0 = Date.UTC(2026, 0, 1);

const setpoint: PointDef = {
  name: "setpoint",
  register: "holding",
  address: 0,
  type: "int16",
  writable: true,
  envelope: { min: 5, max: 35, maxRatePerSec: 0.5, safeValue: 15 },
};
const heater: PointDef = {
  name: "heater",
  register: "coil",
  address: 0,
  writable: true,
  envelope: {
    safeValue: false,
    interlocks: [{ point: "door", op: "==", value: false, when: "nonzero", message: "door must be closed to heat" }],
  },
};
const pump: PointDef = {
  name: "pump",
  register: "coil",
  address: 1,
  writable: true,
  envelope: { interlocks: [{ point: "tank1/level", op: ">=", value: 20 }] },
};
const temperature: PointDef = { name: "temperature", register: "input", address: 0, type: "float32" };

function good(point: string, value: Value, ts = T0): Reading {
  return { point, value, ts, quality: "good" };
}

function req(point: PointDef, value: Value, readings: Reading[] = [], extra: Partial<EnvelopeRequest> = {}): EnvelopeRequest {
  const byId = new Map(readings.map((r) => [r.point, r]));
  return { deviceId: "gh1", point, value, now: T0, read: (id) => byId.get(id), ...extra };
}

const verdict = (r: EnvelopeRequest) => {
  const v = checkEnvelope(r);
  return v.ok ? "ok" : v.code;
};

describe("checkEnvelope", () => {
  it("refuses a read-only point", () => {
    const v = checkEnvelope(req(temperature, 20));
    expect(v).toEqual({ ok: false, code: "LOS_E_WRITE_READ_ONLY", message: "gh1/temperature is read-only" });
    expect(verdict(req({ ...setpoint, writable: false }, 20, [good("gh1/setpoint", 20)]))).toBe("LOS_E_WRITE_READ_ONLY");
  });

  describe("type", () => {
    it("a bool point takes only true or false", () => {
      expect(verdict(req(heater, true, [good("gh1/door", false)]))).toBe("ok");
      expect(verdict(req(heater, 1, [good("gh1/door", false)]))).toBe("LOS_E_WRITE_TYPE");
      expect(verdict(req(heater, "on"))).toBe("LOS_E_WRITE_TYPE");
    });

    it("a numeric point takes only finite numbers", () => {
      for (const bad of [true, "20", Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(verdict(req(setpoint, bad as Value, [good("gh1/setpoint", 20)]))).toBe("LOS_E_WRITE_TYPE");
      }
    });

    it("a writable point without an envelope accepts any value of its type", () => {
      const plain: PointDef = { name: "mode", register: "holding", address: 5, writable: true };
      expect(verdict(req(plain, 65535))).toBe("ok");
      expect(verdict(req(plain, -3))).toBe("ok");
    });
  });

  describe("range", () => {
    it("min and max are inclusive", () => {
      const base = { lastWrite: { value: 20, ts: T0 - 1000_000 } };
      expect(verdict(req(setpoint, 5, [], base))).toBe("ok");
      expect(verdict(req(setpoint, 35, [], base))).toBe("ok");
      expect(checkEnvelope(req(setpoint, 4.9, [], base))).toEqual({
        ok: false,
        code: "LOS_E_WRITE_OUT_OF_RANGE",
        message: "4.9 is below min 5 of setpoint",
      });
      expect(verdict(req(setpoint, 35.1, [], base))).toBe("LOS_E_WRITE_OUT_OF_RANGE");
    });

    it("range is checked before the rate", () => {
      expect(verdict(req(setpoint, 100))).toBe("LOS_E_WRITE_OUT_OF_RANGE");
    });
  });

  describe("rate of change", () => {
    it("counts from the last accepted write", () => {
      const lastWrite = { value: 20, ts: T0 - 4000 };
      // 4 s at 0.5/s: at most 2
      expect(verdict(req(setpoint, 22, [], { lastWrite }))).toBe("ok");
      expect(verdict(req(setpoint, 18, [], { lastWrite }))).toBe("ok");
      const v = checkEnvelope(req(setpoint, 22.5, [], { lastWrite }));
      expect(v).toMatchObject({ ok: false, code: "LOS_E_WRITE_RATE" });
      expect(!v.ok && v.message).toContain("exceeds 0.5/s");
    });

    it("the last write wins over the current reading as the base", () => {
      const readings = [good("gh1/setpoint", 30, T0 - 100_000)];
      expect(verdict(req(setpoint, 30, readings, { lastWrite: { value: 20, ts: T0 - 2000 } }))).toBe("LOS_E_WRITE_RATE");
    });

    it("counts from the current good reading when nothing was written yet", () => {
      expect(verdict(req(setpoint, 21, [good("gh1/setpoint", 20, T0 - 2000)]))).toBe("ok");
      expect(verdict(req(setpoint, 21.5, [good("gh1/setpoint", 20, T0 - 2000)]))).toBe("LOS_E_WRITE_RATE");
    });

    it("refuses when there is no known current value (fail safe)", () => {
      const none = checkEnvelope(req(setpoint, 20));
      expect(none).toEqual({
        ok: false,
        code: "LOS_E_WRITE_RATE",
        message: "setpoint has no known current value to limit the rate of change from",
      });
      const bad: Reading = { point: "gh1/setpoint", value: null, ts: T0, quality: "bad", error: "LOS_E_DEVICE_TIMEOUT" };
      expect(verdict(req(setpoint, 20, [bad]))).toBe("LOS_E_WRITE_RATE");
      expect(verdict(req(setpoint, 20, [{ ...good("gh1/setpoint", 20), quality: "uncertain" }]))).toBe("LOS_E_WRITE_RATE");
    });

    it("writing the same value again is always within the rate", () => {
      expect(verdict(req(setpoint, 20, [], { lastWrite: { value: 20, ts: T0 } }))).toBe("ok");
    });

    it("a base in the future allows no change", () => {
      expect(verdict(req(setpoint, 20.1, [], { lastWrite: { value: 20, ts: T0 + 5000 } }))).toBe("LOS_E_WRITE_RATE");
    });
  });

  describe("interlocks", () => {
    it("`when: nonzero` guards only writes of true/non-zero: switching off is always allowed", () => {
      expect(verdict(req(heater, true, [good("gh1/door", false)]))).toBe("ok");
      const v = checkEnvelope(req(heater, true, [good("gh1/door", true)]));
      expect(v).toEqual({ ok: false, code: "LOS_E_WRITE_INTERLOCK", message: 'interlock "door must be closed to heat" holds gh1/door = true' });
      expect(verdict(req(heater, false, [good("gh1/door", true)]))).toBe("ok");
      expect(verdict(req(heater, false))).toBe("ok");
    });

    it("an interlock (default `always`) guards every write, naming a point of another device", () => {
      expect(verdict(req(pump, true, [good("tank1/level", 20)]))).toBe("ok");
      expect(verdict(req(pump, false, [good("tank1/level", 50)]))).toBe("ok");
      const v = checkEnvelope(req(pump, false, [good("tank1/level", 19.5)]));
      expect(v).toEqual({ ok: false, code: "LOS_E_WRITE_INTERLOCK", message: 'interlock "tank1/level >= 20" holds tank1/level = 19.5' });
    });

    it("a missing or bad interlock reading refuses", () => {
      expect(checkEnvelope(req(heater, true))).toEqual({
        ok: false,
        code: "LOS_E_WRITE_INTERLOCK",
        message: 'interlock "door must be closed to heat": gh1/door has no good reading',
      });
      const bad: Reading = { point: "gh1/door", value: null, ts: T0, quality: "bad" };
      expect(verdict(req(heater, true, [bad]))).toBe("LOS_E_WRITE_INTERLOCK");
      expect(verdict(req(heater, true, [{ ...good("gh1/door", false), quality: "uncertain" }]))).toBe("LOS_E_WRITE_INTERLOCK");
      expect(verdict(req(pump, true, [good("tank1/level", "full")]))).toBe("LOS_E_WRITE_INTERLOCK");
    });

    it("compares booleans as 0/1 and supports every operator", () => {
      const lock = (op: "==" | "!=" | "<" | "<=" | ">" | ">=", value: number | boolean): PointDef => ({
        ...pump,
        envelope: { interlocks: [{ point: "x", op, value }] },
      });
      const at = (p: PointDef, v: Value) => verdict(req(p, true, [good("gh1/x", v)]));
      expect(at(lock("==", true), 1)).toBe("ok");
      expect(at(lock("!=", 3), 3)).toBe("LOS_E_WRITE_INTERLOCK");
      expect(at(lock("<", 3), 2)).toBe("ok");
      expect(at(lock("<=", 3), 4)).toBe("LOS_E_WRITE_INTERLOCK");
      expect(at(lock(">", 3), 3)).toBe("LOS_E_WRITE_INTERLOCK");
      expect(at(lock(">=", false), true)).toBe("ok");
    });

    it("every interlock must hold", () => {
      const two: PointDef = {
        ...pump,
        envelope: {
          interlocks: [
            { point: "a", op: "==", value: true },
            { point: "b", op: "==", value: true },
          ],
        },
      };
      expect(verdict(req(two, true, [good("gh1/a", true), good("gh1/b", true)]))).toBe("ok");
      expect(verdict(req(two, true, [good("gh1/a", true), good("gh1/b", false)]))).toBe("LOS_E_WRITE_INTERLOCK");
    });
  });

  describe("safety writes", () => {
    it("skip the rate and the interlocks", () => {
      expect(verdict(req(setpoint, 15, [], { safety: true }))).toBe("ok");
      expect(verdict(req(setpoint, 15, [], { safety: true, lastWrite: { value: 35, ts: T0 } }))).toBe("ok");
      expect(verdict(req(pump, false, [good("tank1/level", 0)], { safety: true }))).toBe("ok");
    });

    it("never skip read-only, type or range", () => {
      expect(verdict(req(temperature, 0, [], { safety: true }))).toBe("LOS_E_WRITE_READ_ONLY");
      expect(verdict(req(heater, 0, [], { safety: true }))).toBe("LOS_E_WRITE_TYPE");
      expect(verdict(req(setpoint, 0, [], { safety: true }))).toBe("LOS_E_WRITE_OUT_OF_RANGE");
    });
  });
});
