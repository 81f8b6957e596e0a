import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const CHILD = fileURLToPath(new URL("./young-gen-child.mjs", import.meta.url));

/** Largest semi-space (MB) a fresh node process reached under the bin's V8 setting. */
function semiSpace(env: Record<string, string>, args: string[]): { max: number; final: number } {
  const r = spawnSync(process.execPath, [CHILD, ...args], { env: { ...process.env, LLMAGENTOS_V8_TUNING: "1", ...env }, encoding: "utf8" });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as { max: number; final: number };
}

describe("tuneV8: young generation", () => {
  it("lets the semi-space grow to the cap and no further", () => {
    expect(semiSpace({ LLMAGENTOS_YOUNG_GEN_MB: "4" }, ["0"]).max).toBe(4);
  });

  it("keeps the cap when a worker thread starts (V8 resets the growth factor then)", () => {
    expect(semiSpace({ LLMAGENTOS_YOUNG_GEN_MB: "4" }, ["0", "worker"])).toEqual({ max: 4, final: 4 });
  });

  it("holds the semi-space at 1 MB during start-up, worker thread or not", () => {
    expect(semiSpace({}, ["600000"]).max).toBe(1);
    // the worker resets V8's factor before its 'online' event reaches this thread: a scavenge in
    // between may grow the space by one step (seen once in CI under load); never to V8's own 16 MB
    expect(semiSpace({}, ["600000", "worker"]).max).toBeLessThanOrEqual(2);
  });

  it("grows past the cap with LLMAGENTOS_YOUNG_GEN_MB=0 (V8's own limit)", () => {
    expect(semiSpace({ LLMAGENTOS_YOUNG_GEN_MB: "0" }, ["0"]).max).toBeGreaterThan(4);
  });

  it("leaves V8 alone with LLMAGENTOS_V8_TUNING=0", () => {
    expect(semiSpace({ LLMAGENTOS_V8_TUNING: "0" }, ["600000", "worker"]).max).toBeGreaterThan(1);
  });
});
