import { describe, expect, it } from "vitest";
import { TOPIC_ROOT, gatewayBase, isValidSegment, topics } from "../../src/core/topics.js";

describe("topics", () => {
  const s = { site: "farm", gateway: "gw1" };

  it("builds every topic under the versioned root", () => {
    expect(TOPIC_ROOT).toBe("los/v1");
    expect(gatewayBase(s)).toBe("los/v1/farm/gw1");
    expect(topics.gatewayStatus(s)).toBe("los/v1/farm/gw1/status");
    expect(topics.deviceStatus(s, "gh1")).toBe("los/v1/farm/gw1/devices/gh1/status");
    expect(topics.deviceState(s, "gh1")).toBe("los/v1/farm/gw1/devices/gh1/state");
    expect(topics.deviceWrite(s, "gh1")).toBe("los/v1/farm/gw1/devices/gh1/write");
    expect(topics.agentStatus(s, "a1")).toBe("los/v1/farm/gw1/agents/a1/status");
    expect(topics.agentOut(s, "a1", "actions")).toBe("los/v1/farm/gw1/agents/a1/out/actions");
    expect(topics.audit(s)).toBe("los/v1/farm/gw1/audit");
    expect(topics.reply(s, "c-1")).toBe("los/v1/farm/gw1/replies/c-1");
  });

  it("a segment may not be empty or hold wildcards, separators or NUL", () => {
    for (const ok of ["gh1", "a-b_c.d", "Temp °C", "x y"]) expect(isValidSegment(ok)).toBe(true);
    for (const bad of ["", "a/b", "#", "a+", "a#b", "nul\u0000"]) expect(isValidSegment(bad)).toBe(false);
  });
});
