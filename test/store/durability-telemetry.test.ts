import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/store.js";
import { tempDir } from "./helpers.js";

const script = fileURLToPath(new URL("./fixtures/telemetry-writer.ts", import.meta.url));
const T0 = Date.UTC(2026, 0, 1);

describe("telemetry durability across a killed process", () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => {
    t = tempDir();
  });
  afterEach(() => t.cleanup());

  it("every batch flushed before SIGKILL is in history.db after reopening, chunks intact", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", script, t.dir], { stdio: ["ignore", "pipe", "pipe"] });
    let flushed = -1;
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    let partial = "";
    child.stdout.on("data", (d: Buffer) => {
      const lines = (partial + d.toString()).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) flushed = Math.max(flushed, Number(line));
      if (flushed >= 150 && !child.killed) child.kill("SIGKILL"); // mid-way: the child is still writing
    });
    const signal = await exited;
    expect(stderr).toBe("");
    expect(signal).toBe("SIGKILL");
    expect(flushed).toBeGreaterThanOrEqual(150);

    const store = openStore({ dataDir: t.dir, retention: false });
    try {
      const batches = flushed + 1;
      const p5 = store.telemetry.range("dur/p5", { limit: 1_000_000 });
      expect(p5.length).toBeGreaterThanOrEqual(batches);
      expect(p5.slice(0, batches)).toEqual(
        Array.from({ length: batches }, (_, b) => ({ point: "dur/p5", ts: T0 + b * 100 + 5, value: b + 0.05, quality: "good" })),
      );
      const text = store.telemetry.range("dur/text", { until: T0 + batches * 100 });
      expect(text.map((r) => r.value)).toEqual(Array.from({ length: batches }, (_, b) => `b${b}`));
      const bad = store.telemetry.range("dur/p0", { until: T0 + batches * 100 }).filter((r) => r.quality === "bad");
      expect(bad.length).toBe(Math.ceil(batches / 7));
      expect(bad[0]).toEqual({ point: "dur/p0", ts: T0, value: null, quality: "bad", error: "LOS_E_DEVICE_TIMEOUT" });
      expect(store.telemetry.sampleCount()).toBeGreaterThanOrEqual(batches * 20);
    } finally {
      await store.close();
    }
  });
});
