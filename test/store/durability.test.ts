import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/store.js";
import { tempDir } from "./helpers.js";

const script = fileURLToPath(new URL("./fixtures/audit-writer.ts", import.meta.url));

describe("audit durability across a killed process", () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => {
    t = tempDir();
  });
  afterEach(() => t.cleanup());

  it("every id acknowledged before SIGKILL is in state.db after reopening", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", script, t.dir], { stdio: ["ignore", "pipe", "pipe"] });
    const acked: number[] = [];
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    let partial = "";
    child.stdout.on("data", (d: Buffer) => {
      const lines = (partial + d.toString()).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) acked.push(Number(line));
      if (acked.length >= 200 && !child.killed) child.kill("SIGKILL"); // mid-way: the child is still writing
    });
    const signal = await exited;
    expect(stderr).toBe("");
    expect(signal).toBe("SIGKILL");
    expect(acked.length).toBeGreaterThanOrEqual(200);

    const store = openStore({ dataDir: t.dir, retention: false });
    try {
      const stored = new Set(store.audit.list({ limit: 10_000 }).map((r) => r.id));
      const missing = acked.filter((id) => !stored.has(id));
      expect(missing).toEqual([]);
      expect(store.audit.count()).toBeGreaterThanOrEqual(acked.length);
    } finally {
      await store.close();
    }
  });
});
