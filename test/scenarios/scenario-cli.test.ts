import { describe, expect, it } from "vitest";
import { runCli } from "../cli/run-cli.js";

describe("llmagentos scenario", () => {
  it("lists the scenarios", async () => {
    const r = await runCli(["scenario", "list", "--json"]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { name: string }[]).map((s) => s.name)).toEqual(["demand-response", "factory-cell"]);
  }, 60_000);

  it("refuses an unknown scenario and a bad seed as usage errors (exit 2)", async () => {
    const unknown = await runCli(["scenario", "run", "no-such"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/LOS_E_USAGE.*no scenario "no-such"/);
    const seed = await runCli(["scenario", "run", "factory-cell", "--seed", "x"]);
    expect(seed.code).toBe(2);
  }, 60_000);

  it("runs demand-response and prints the outcome as JSON, exit 0 when the goal is met", async () => {
    const r = await runCli(["scenario", "run", "demand-response", "--json", "--duration", "10m"], 90_000);
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout) as { goalMet: boolean; windowMin: number; shedKw: number; targetKw: number };
    expect(out).toMatchObject({ goalMet: true, windowMin: 10 });
    expect(out.shedKw).toBeGreaterThanOrEqual(out.targetKw * 0.95);
    expect(r.code).toBe(0);
  }, 90_000);
});
