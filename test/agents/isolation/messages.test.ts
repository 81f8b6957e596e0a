import { describe, expect, it } from "vitest";
import { MAX_AGENT_STRING, MAX_LOG_FIELDS, parseFromAgent } from "../../../src/agents/isolation/messages.js";

const code = (raw: unknown) => {
  try {
    parseFromAgent(raw);
    return "accepted";
  } catch (err) {
    return (err as { code: string }).code;
  }
};

describe("parseFromAgent", () => {
  it("accepts every message of the protocol and keeps only known usage fields", () => {
    expect(parseFromAgent({ t: "ready" })).toEqual({ t: "ready" });
    expect(parseFromAgent({ t: "stopped", extra: 1 })).toEqual({ t: "stopped" });
    expect(parseFromAgent({ t: "thread", tid: 4242 })).toEqual({ t: "thread", tid: 4242 });
    expect(parseFromAgent({ t: "heartbeat", usage: { cpuMs: 1.5, decisions: 2, evil: "x" } })).toEqual({ t: "heartbeat", usage: { cpuMs: 1.5, decisions: 2 } });
    expect(parseFromAgent({ t: "actuate", id: 3, point: "d/p", value: true, reason: "r" })).toEqual({ t: "actuate", id: 3, point: "d/p", value: true, reason: "r" });
    expect(parseFromAgent({ t: "publish", id: 0, subtopic: "s", payload: { a: [1] } })).toEqual({ t: "publish", id: 0, subtopic: "s", payload: { a: [1] } });
    expect(parseFromAgent({ t: "log", level: "warn", msg: "m", obj: { k: 1 } })).toEqual({ t: "log", level: "warn", msg: "m", obj: { k: 1 } });
    expect(parseFromAgent({ t: "failed", code: "LOS_E_AGENT_CONFIG", message: "no" })).toEqual({ t: "failed", code: "LOS_E_AGENT_CONFIG", message: "no" });
  });

  it("refuses anything else with LOS_E_AGENT_PROTOCOL", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const [i, raw] of [
      null,
      "ready",
      { t: "take-over" },
      { t: "heartbeat", usage: { cpuMs: -1 } },
      { t: "heartbeat", usage: { cpuMs: Number.NaN } },
      { t: "actuate", id: -1, point: "d/p", value: 1, reason: "r" },
      { t: "actuate", id: 1.5, point: "d/p", value: 1, reason: "r" },
      { t: "actuate", id: 1, point: "d/p", value: { x: 1 }, reason: "r" },
      { t: "actuate", id: 1, point: "x".repeat(MAX_AGENT_STRING + 1), value: 1, reason: "r" },
      { t: "publish", id: 1, subtopic: 7, payload: null },
      { t: "log", level: "fatal", msg: "m" },
      { t: "log", level: "info", msg: "m", obj: [1] },
      { t: "log", level: "info", msg: "m", obj: cyclic },
      { t: "log", level: "info", msg: "m", obj: { big: "x".repeat(MAX_LOG_FIELDS) } },
      { t: "failed", code: 1, message: "m" },
      { t: "thread", tid: 0 },
      { t: "thread", tid: 1.5 },
      { t: "thread", tid: "1" },
    ].entries()) {
      expect(code(raw), `case ${i}`).toBe("LOS_E_AGENT_PROTOCOL");
    }
  });
});
