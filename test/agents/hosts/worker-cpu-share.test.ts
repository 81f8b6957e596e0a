/**
 * The CPU-share rule of the worker host: a worker that keeps computing (heartbeats still flow, so
 * the watchdog is no help) is moved to the idle scheduling class once it uses more than its share
 * over a window; a quiet neighbour is left alone; a run that starts yielded does so at once; and
 * agent code cannot name another thread (the gateway's own) to have it demoted.
 */
import { afterEach, describe, expect, it } from "vitest";
import { WorkerHost } from "../../../src/agents/hosts/worker-host.js";
import { isOtherThreadOfThisProcess, threadPolicy } from "../../../src/agents/isolation/thread-cpu.js";
import { fixtureOptions, IN, published, reading, until, type FixtureOptions, type Recorded } from "./host-harness.js";

const SCHED_OTHER = 0;
const SCHED_IDLE = 5;

const started: WorkerHost[] = [];
const live = new Set<WorkerHost>();
async function running(fixture: string, o: FixtureOptions = {}, extra: { yieldAtStart?: boolean } = {}): Promise<{ host: WorkerHost; rec: Recorded }> {
  const { options, rec } = fixtureOptions("worker", fixture, o);
  const host = new WorkerHost({ ...options, ...extra }, { startTimeoutMs: 15_000, cpuWindowMs: 300 }, live);
  started.push(host);
  await host.start();
  return { host, rec };
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((h) => h.stop(500)));
});

describe.runIf(process.platform === "linux")("worker host: CPU share", () => {
  it("a worker computing without pause goes over its share and yields; a quiet one does not; both keep running", async () => {
    const quiet = await running("probe.mjs", { id: "quiet", cpuPercent: 20 });
    const { host, rec } = await running("cpu-burner.mjs", { id: "burner", cpuPercent: 20 });
    const tid = host.threadId ?? -1;
    expect(isOtherThreadOfThisProcess(tid)).toBe(true);
    expect(threadPolicy(tid)).toBe(SCHED_OTHER);
    host.deliver([reading(IN, 1)]);
    await until(() => published(rec, "report"), "the agent starting to compute");
    const over = await until(() => rec.cpuOver[0], "the CPU-share event");
    expect(over.sharePercent).toBe(20);
    expect(over.percent).toBeGreaterThan(20);
    expect(over.how).toBe("idle");
    expect(host.yielded).toBe(true);
    expect(threadPolicy(tid)).toBe(SCHED_IDLE);
    // still alive and heartbeating: the rule slows it down, it does not stop it
    const beats = rec.heartbeats.length;
    await until(() => rec.heartbeats.length > beats + 1, "heartbeats after yielding");
    expect(rec.exits).toEqual([]);
    // the quiet agent kept its class and still answers
    expect(quiet.host.yielded).toBe(false);
    expect(threadPolicy(quiet.host.threadId ?? -1)).toBe(SCHED_OTHER);
    quiet.host.deliver([reading(IN, 7)]);
    await until(() => published(quiet.rec, "echo", (p: { value: number }) => p.value === 7), "the quiet agent's echo");
    expect(quiet.rec.cpuOver).toEqual([]);
    expect(threadPolicy(process.pid)).toBe(SCHED_OTHER);
  });

  it("a burst shorter than a window is not a hog: the thread keeps its class", async () => {
    // 300 ms of work against 300 ms windows and a 60 % share: however the burst falls on the
    // windows, at most one of them is over the share, and yielding takes two in a row
    const { host, rec } = await running("cpu-burner.mjs", { id: "burst", cpuPercent: 60, settings: { burnMs: 300 } });
    host.deliver([reading(IN, 1)]);
    await until(() => published(rec, "report", (p: { phase: string }) => p.phase === "burnt"), "the end of the burst");
    const beats = rec.heartbeats.length;
    await until(() => rec.heartbeats.length >= beats + 8, "eight more heartbeats (several windows)");
    expect(rec.cpuOver).toEqual([]);
    expect(host.yielded).toBe(false);
    expect(threadPolicy(host.threadId ?? -1)).toBe(SCHED_OTHER);
  });

  it("a run that starts yielded (its previous run went over) is in the idle class at once, without an event", async () => {
    const { host, rec } = await running("probe.mjs", { id: "again" }, { yieldAtStart: true });
    const tid = host.threadId ?? -1;
    await until(() => threadPolicy(tid) === SCHED_IDLE, "the idle class");
    expect(host.yielded).toBe(true);
    expect(rec.cpuOver).toEqual([]);
  });

  it("agent code that names the gateway's main thread as its own is refused as a protocol error; nothing is demoted", async () => {
    const { host } = await running("thread-claim.mjs", { id: "claimer" });
    await until(() => host.malformed > 0, "the refused claim");
    expect(host.threadId).not.toBe(process.pid);
    expect(isOtherThreadOfThisProcess(host.threadId ?? -1)).toBe(true);
    expect(threadPolicy(process.pid)).toBe(SCHED_OTHER);
  });
});
