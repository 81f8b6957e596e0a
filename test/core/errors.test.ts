import { describe, expect, it } from "vitest";
import { ERROR_CODES, LosError, errorEnvelope, isLosError, okEnvelope, toLosError } from "../../src/core/errors.js";

describe("error registry", () => {
  it("every code is LOS_E_ and has advice", () => {
    for (const [code, advice] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^LOS_E_[A-Z_]+$/);
      expect(advice.length).toBeGreaterThan(10);
      expect(advice.endsWith(".")).toBe(true);
    }
  });

  it("LosError keeps code, message, cause and details, and defaults the message to the advice", () => {
    const cause = new Error("ECONNREFUSED");
    const e = new LosError("LOS_E_DEVICE_TIMEOUT", "gh1 did not answer", { cause, details: { device: "gh1" } });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("LosError");
    expect(e.code).toBe("LOS_E_DEVICE_TIMEOUT");
    expect(e.cause).toBe(cause);
    expect(e.hint).toBe(ERROR_CODES.LOS_E_DEVICE_TIMEOUT);
    expect(e.toJSON()).toEqual({ code: "LOS_E_DEVICE_TIMEOUT", message: "gh1 did not answer", details: { device: "gh1" } });
    const bare = new LosError("LOS_E_CLOSED");
    expect(bare.message).toBe(ERROR_CODES.LOS_E_CLOSED);
    expect(bare.cause).toBeUndefined();
    expect(bare.toJSON()).toEqual({ code: "LOS_E_CLOSED", message: ERROR_CODES.LOS_E_CLOSED });
  });

  it("isLosError checks the class and optionally the code", () => {
    const e = new LosError("LOS_E_CLOSED");
    expect(isLosError(e)).toBe(true);
    expect(isLosError(e, "LOS_E_CLOSED")).toBe(true);
    expect(isLosError(e, "LOS_E_INTERNAL")).toBe(false);
    expect(isLosError(new Error("x"))).toBe(false);
    expect(isLosError({ code: "LOS_E_CLOSED" })).toBe(false);
  });

  it("toLosError keeps coded errors and wraps anything else with the fallback code", () => {
    const coded = new LosError("LOS_E_CLOSED");
    expect(toLosError(coded, "LOS_E_WRITE_FAILED")).toBe(coded);
    const plain = new Error("boom");
    const wrapped = toLosError(plain, "LOS_E_WRITE_FAILED");
    expect(wrapped.code).toBe("LOS_E_WRITE_FAILED");
    expect(wrapped.message).toBe("boom");
    expect(wrapped.cause).toBe(plain);
    expect(toLosError("text").code).toBe("LOS_E_INTERNAL");
    expect(toLosError("text").message).toBe("text");
  });

  it("reply envelopes", () => {
    expect(okEnvelope(1)).toEqual({ ok: true, data: 1 });
    expect(okEnvelope(1, "c1")).toEqual({ ok: true, data: 1, correlationId: "c1" });
    expect(errorEnvelope(new LosError("LOS_E_WRITE_RATE", "too fast"), "c2")).toEqual({
      ok: false,
      error: { code: "LOS_E_WRITE_RATE", message: "too fast" },
      correlationId: "c2",
    });
    expect(errorEnvelope(new Error("x"))).toEqual({ ok: false, error: { code: "LOS_E_INTERNAL", message: "x" } });
    // an envelope survives JSON (it travels over MQTT)
    const env = errorEnvelope(new LosError("LOS_E_CONFIG_INVALID", "bad", { details: { path: "a.b" } }));
    expect(JSON.parse(JSON.stringify(env))).toEqual({ ok: false, error: { code: "LOS_E_CONFIG_INVALID", message: "bad", details: { path: "a.b" } } });
  });
});
