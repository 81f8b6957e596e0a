import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { AgentSnapshot } from "../../src/store/agents-repo.js";
import { openStore, openStoreReadOnly } from "../../src/store/store.js";
import { tempDir } from "./helpers.js";

const T0 = Date.UTC(2026, 0, 1);

function snap(id: string, over: Partial<AgentSnapshot> = {}): AgentSnapshot {
  return {
    id,
    isolation: "in-process",
    state: "running",
    cpuMs: 1.5,
    heapBytes: 0,
    messagesIn: 3,
    messagesOut: 2,
    logLines: 1,
    actuations: 1,
    refused: 0,
    rateLimited: 0,
    restarts: 0,
    decisions: 4,
    failures: 0,
    updatedAt: T0,
    ...over,
  };
}

describe("agents repo", () => {
  const t = tempDir();
  afterEach(() => t.cleanup());

  it("replaces the snapshot as a whole; a read-only store sees it while the writer is open", async () => {
    const store = openStore({ dataDir: join(t.dir, "d"), retention: false });
    store.agents.replaceAll([snap("b", { tenant: "farm", lastExit: { code: "LOS_E_AGENT_HUNG", message: "late", ts: T0 } }), snap("a")]);
    const reader = openStoreReadOnly(join(t.dir, "d"));
    expect(reader.agents.list().map((a) => a.id)).toEqual(["a", "b"]);
    expect(reader.agents.list()[1]).toEqual(snap("b", { tenant: "farm", lastExit: { code: "LOS_E_AGENT_HUNG", message: "late", ts: T0 } }));
    store.agents.replaceAll([snap("c", { state: "failed" })]);
    expect(reader.agents.list()).toEqual([snap("c", { state: "failed" })]);
    reader.close();
    await store.close();
  });
});
