import { describe, expect, it } from "vitest";
import { isLosError } from "../../src/core/errors.js";
import { resolveTaskDefaults } from "../../src/tasks/task-defaults.js";
import { taskRecordFromSpec } from "../../src/tasks/task-spec.js";

const NOW = Date.UTC(2026, 0, 1);
const ctx = { now: NOW, defaults: resolveTaskDefaults({ auction: { bidWindowMs: 200 }, leaseMs: 4000 }), createdBy: "code" };

function refusal(spec: unknown): { code: string; field: unknown } {
  try {
    taskRecordFromSpec(spec, ctx);
  } catch (err) {
    if (isLosError(err)) return { code: err.code, field: err.details.field };
    throw err;
  }
  throw new Error("the spec was accepted");
}

describe("task spec", () => {
  it("builds a pending record with the config's defaults", () => {
    const t = taskRecordFromSpec({ type: "shed-load", params: { kw: 3 } }, ctx);
    expect(t).toMatchObject({
      type: "shed-load",
      state: "pending",
      priority: 5,
      allocation: "auction",
      requires: [],
      params: { kw: 3 },
      leaseMs: 4000,
      attempt: 0,
      round: 0,
      excluded: [],
      createdBy: "code",
      createdAt: NOW,
      auction: { objective: "max", rule: "first-price", bidWindowMs: 200, confirmMs: 1000, maxRounds: 3 },
      negotiation: { maxRounds: 4 },
    });
    expect(t.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("an assignee means direct allocation; spec options override the defaults", () => {
    const t = taskRecordFromSpec({ id: "t-1", type: "x", assignee: "a1", priority: 9, deadline: NOW + 1, requires: ["heat", "heat"], auction: { rule: "second-price", reserve: 2 } }, ctx);
    expect(t).toMatchObject({ id: "t-1", allocation: "direct", assignee: "a1", priority: 9, deadline: NOW + 1, requires: ["heat"] });
    expect(t.auction).toMatchObject({ rule: "second-price", reserve: 2, bidWindowMs: 200 });
  });

  it.each([
    [null, "spec"],
    [{ type: "x", colour: "red" }, "colour"],
    [{}, "type"],
    [{ type: "a b" }, "type"],
    [{ type: "x".repeat(65) }, "type"],
    [{ type: "x", id: "../etc" }, "id"],
    [{ type: "x", priority: 10 }, "priority"],
    [{ type: "x", priority: 2.5 }, "priority"],
    [{ type: "x", deadline: NOW }, "deadline"],
    [{ type: "x", deadline: "soon" }, "deadline"],
    [{ type: "x", tenant: "a/b" }, "tenant"],
    [{ type: "x", allocation: "lottery" }, "allocation"],
    [{ type: "x", allocation: "direct" }, "assignee"],
    [{ type: "x", allocation: "auction", assignee: "a1" }, "assignee"],
    [{ type: "x", allocation: "negotiation" }, "params.amount"],
    [{ type: "x", allocation: "negotiation", params: { amount: -1 } }, "params.amount"],
    [{ type: "x", negotiation: { maxRounds: 2 } }, "negotiation"],
    [{ type: "x", allocation: "negotiation", params: { amount: 1 }, negotiation: { minPart: 0 } }, "negotiation.minPart"],
    [{ type: "x", allocation: "negotiation", params: { amount: 1 }, negotiation: { rounds: 2 } }, "negotiation.rounds"],
    [{ type: "x", requires: "heat" }, "requires"],
    [{ type: "x", requires: ["ok", "not ok"] }, "requires[1]"],
    [{ type: "x", params: [1] }, "params"],
    [{ type: "x", params: { big: "x".repeat(17 * 1024) } }, "params"],
    [{ type: "x", auction: { objective: "most" } }, "auction.objective"],
    [{ type: "x", auction: { rule: "dutch" } }, "auction.rule"],
    [{ type: "x", auction: { bidWindowMs: 1 } }, "auction.bidWindowMs"],
    [{ type: "x", auction: { confirmMs: 10_000_000 } }, "auction.confirmMs"],
    [{ type: "x", auction: { maxRounds: 0 } }, "auction.maxRounds"],
    [{ type: "x", auction: { reserve: Number.NaN } }, "auction.reserve"],
    [{ type: "x", auction: { window: 3 } }, "auction.window"],
    [{ type: "x", leaseMs: 5 }, "leaseMs"],
    [{ type: "x", retries: -1 }, "retries"],
    [{ type: "x", retries: 11 }, "retries"],
    [{ type: "x", retries: 1.5 }, "retries"],
  ])("refuses %j naming %s", (spec, field) => {
    expect(refusal(spec)).toEqual({ code: "LOS_E_TASK_INVALID", field });
  });

  it("retries: kept when given (0–10), absent by default (a reported failure is final)", () => {
    expect(taskRecordFromSpec({ type: "x", retries: 3 }, ctx).retries).toBe(3);
    expect(taskRecordFromSpec({ type: "x" }, ctx).retries).toBeUndefined();
  });

  it("without a configured lease the record says 0: three heartbeats of the winner", () => {
    const t = taskRecordFromSpec({ type: "x" }, { ...ctx, defaults: resolveTaskDefaults() });
    expect(t.leaseMs).toBe(0);
  });
});
