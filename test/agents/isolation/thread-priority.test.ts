/**
 * An agent's worker thread runs at a lower priority than the gateway's own thread: a busy agent
 * gets the CPU the gateway leaves over (Linux: nice is per thread).
 */
import { readdirSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { WorkerHost } from "../../../src/agents/hosts/worker-host.js";
import { AGENT_NICE } from "../../../src/agents/isolation/thread-priority.js";
import { fixtureOptions } from "../hosts/host-harness.js";

/** nice of every thread of this process, by thread id */
function threadNices(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    // fields after the command name: state is field 3, nice field 19 of stat(5)
    const fields = readFileSync(`/proc/self/task/${tid}/stat`, "utf8").split(") ")[1]!.split(" ");
    out.set(Number(tid), Number(fields[16]));
  }
  return out;
}

describe("agent thread priority", () => {
  let host: WorkerHost | undefined;
  afterEach(async () => {
    await host?.stop(1000);
    host = undefined;
  });

  it("a worker agent's thread runs at nice AGENT_NICE; the gateway's main thread keeps its own", async () => {
    const before = threadNices();
    const { options } = fixtureOptions("worker", "probe.mjs", { id: "niced" });
    host = new WorkerHost(options, { startTimeoutMs: 15_000 });
    await host.start();
    const after = threadNices();
    const niced = [...after].filter(([tid, nice]) => !before.has(tid) && nice === AGENT_NICE);
    expect(niced).toHaveLength(1);
    expect(after.get(process.pid)).toBe(before.get(process.pid));
    expect(AGENT_NICE).toBeGreaterThan(before.get(process.pid)!);
  });
});
