/**
 * Reading and demoting threads of this process through /proc and chrt (Linux): the pieces the
 * worker host's CPU-share rule stands on.
 */
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { isOtherThreadOfThisProcess, threadCpuMs, threadPolicy, yieldThread } from "../../../src/agents/isolation/thread-cpu.js";
import { currentThreadId } from "../../../src/agents/isolation/thread-id.js";

const SCHED_OTHER = 0;
const SCHED_IDLE = 5;

/** a worker that reports its thread id, then waits for messages (an idle event loop) */
async function idleWorker(): Promise<{ worker: Worker; tid: number }> {
  const worker = new Worker(
    `const { parentPort } = require("node:worker_threads");
     const { readlinkSync } = require("node:fs");
     parentPort.postMessage(Number(readlinkSync("/proc/thread-self").split("/").pop()));
     parentPort.on("message", () => {});`,
    { eval: true },
  );
  const tid = await new Promise<number>((resolve) => worker.once("message", resolve));
  return { worker, tid };
}

const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

describe.runIf(process.platform === "linux")("thread CPU and priority (Linux)", () => {
  it("the main thread's id is the process id, and it is never another thread of this process", () => {
    expect(currentThreadId()).toBe(process.pid);
    expect(isOtherThreadOfThisProcess(process.pid)).toBe(false);
    expect(isOtherThreadOfThisProcess(0)).toBe(false);
    expect(isOtherThreadOfThisProcess(2 ** 31)).toBe(false);
  });

  it("a worker's thread is another thread of this process; its CPU time is readable and gone with it", async () => {
    const { worker, tid } = await idleWorker();
    expect(tid).not.toBe(process.pid);
    expect(isOtherThreadOfThisProcess(tid)).toBe(true);
    expect(threadCpuMs(tid)).toBeGreaterThanOrEqual(0);
    await worker.terminate();
    expect(threadCpuMs(tid)).toBeUndefined();
    expect(isOtherThreadOfThisProcess(tid)).toBe(false);
  });

  it("CPU time grows with work done on the thread (in 10 ms ticks)", () => {
    const before = threadCpuMs(process.pid) ?? Number.NaN;
    let after = before;
    // spin until the kernel has counted at least one more tick for this thread
    const end = performance.now() + 5000;
    while (after === before && performance.now() < end) after = threadCpuMs(process.pid) ?? Number.NaN;
    expect(after).toBeGreaterThan(before);
    expect((after - before) % 10).toBe(0);
  });

  it("yieldThread moves a worker's thread to the idle class and leaves the main thread alone", async () => {
    const { worker, tid } = await idleWorker();
    workers.push(worker);
    expect(threadPolicy(tid)).toBe(SCHED_OTHER);
    expect(await yieldThread(tid)).toBe("idle");
    expect(threadPolicy(tid)).toBe(SCHED_IDLE);
    expect(threadPolicy(process.pid)).toBe(SCHED_OTHER);
  });
});
