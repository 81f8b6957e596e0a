import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { isLosError } from "../../src/core/errors.js";
import { RequestQueue } from "../../src/devices/request-queue.js";

/** A job the test finishes by hand, recording when it started. */
function controlled(log: string[], name: string) {
  let finish!: (v: string) => void;
  let fail!: (e: unknown) => void;
  const run = () => {
    log.push(name);
    return new Promise<string>((res, rej) => {
      finish = res;
      fail = rej;
    });
  };
  return { run, done: (v = name) => finish(v), fail: (e: unknown) => fail(e) };
}

const flush = () => new Promise<void>((r) => setImmediate(r));

describe("request queue", () => {
  it("keeps one request in flight and serves writes before polls", async () => {
    const q = new RequestQueue({ clock: new ManualClock() });
    const log: string[] = [];
    const a = controlled(log, "poll-a");
    const b = controlled(log, "poll-b");
    const w = controlled(log, "write");
    const pa = q.enqueue(a.run);
    const pb = q.enqueue(b.run);
    const pw = q.enqueue(w.run, { priority: "write" });
    expect(log).toEqual(["poll-a"]);
    expect(q.stats()).toMatchObject({ inFlight: 1, queued: 2 });
    a.done();
    await expect(pa).resolves.toBe("poll-a");
    await flush();
    expect(log).toEqual(["poll-a", "write"]);
    w.done();
    await pw;
    await flush();
    expect(log).toEqual(["poll-a", "write", "poll-b"]);
    b.done();
    await pb;
    expect(q.stats()).toMatchObject({ completed: 3, inFlight: 0, queued: 0 });
  });

  it("allows maxInFlight concurrent requests", async () => {
    const q = new RequestQueue({ clock: new ManualClock(), maxInFlight: 2 });
    const log: string[] = [];
    const jobs = ["a", "b", "c"].map((n) => controlled(log, n));
    const ps = jobs.map((j) => q.enqueue(j.run));
    expect(log).toEqual(["a", "b"]);
    jobs[1]!.done();
    await ps[1];
    await flush();
    expect(log).toEqual(["a", "b", "c"]);
    jobs[0]!.done();
    jobs[2]!.done();
    await Promise.all(ps);
  });

  it("leaves the inter-frame delay between requests, on the injected clock", async () => {
    const clock = new ManualClock();
    const q = new RequestQueue({ clock, interFrameDelayMs: 10 });
    const log: string[] = [];
    const a = controlled(log, "a");
    const b = controlled(log, "b");
    const pa = q.enqueue(a.run);
    const pb = q.enqueue(b.run);
    a.done();
    await pa;
    await flush();
    expect(log).toEqual(["a"]);
    clock.advance(9);
    expect(log).toEqual(["a"]);
    clock.advance(1);
    expect(log).toEqual(["a", "b"]);
    b.done();
    await pb;
  });

  it("coalesces an identical waiting poll and drops the oldest when full, never writes", async () => {
    const q = new RequestQueue({ clock: new ManualClock(), maxQueued: 2 });
    const log: string[] = [];
    const busy = controlled(log, "busy");
    const pBusy = q.enqueue(busy.run);
    const x = controlled(log, "x");
    const px = q.enqueue(x.run, { key: "k1" });
    const px2 = q.enqueue(controlled(log, "x-again").run, { key: "k1" });
    expect(px2).toBe(px);
    const y = controlled(log, "y");
    const py = q.enqueue(y.run, { key: "k2" });
    const z = controlled(log, "z");
    const pz = q.enqueue(z.run, { key: "k3" }); // x is the oldest waiting poll: dropped
    const writes = [1, 2, 3].map((i) => controlled(log, `w${i}`));
    const pws = writes.map((w) => q.enqueue(w.run, { priority: "write" }));
    await expect(px).rejects.toSatisfy((e: unknown) => isLosError(e, "LOS_E_DEVICE_BUSY"));
    expect(q.stats()).toMatchObject({ dropped: 1, coalesced: 1, queued: 5 });
    busy.done();
    await pBusy;
    for (const w of writes) {
      await flush();
      w.done();
    }
    await Promise.all(pws);
    await flush();
    y.done();
    await py;
    await flush();
    z.done();
    await pz;
    expect(log).toEqual(["busy", "w1", "w2", "w3", "y", "z"]);
  });

  it("a poll enqueued again after its twin started is a new request", async () => {
    const q = new RequestQueue({ clock: new ManualClock() });
    const log: string[] = [];
    const a = controlled(log, "a");
    const pa = q.enqueue(a.run, { key: "k" });
    const b = controlled(log, "b");
    const pb = q.enqueue(b.run, { key: "k" });
    expect(pb).not.toBe(pa);
    a.done();
    await pa;
    await flush();
    b.done();
    await expect(pb).resolves.toBe("b");
  });

  it("close rejects everything waiting with LOS_E_DRIVER_CLOSED and refuses new work", async () => {
    const q = new RequestQueue({ clock: new ManualClock() });
    const log: string[] = [];
    const a = controlled(log, "a");
    const pa = q.enqueue(a.run);
    const pb = q.enqueue(controlled(log, "b").run);
    const pw = q.enqueue(controlled(log, "w").run, { priority: "write" });
    q.close();
    const closed = (e: unknown) => isLosError(e, "LOS_E_DRIVER_CLOSED");
    await expect(pb).rejects.toSatisfy(closed);
    await expect(pw).rejects.toSatisfy(closed);
    await expect(q.enqueue(async () => 1)).rejects.toSatisfy(closed);
    a.done(); // the request in flight finishes on its own
    await expect(pa).resolves.toBe("a");
    expect(log).toEqual(["a"]);
  });

  it("a job that throws synchronously rejects its promise and the queue moves on", async () => {
    const q = new RequestQueue({ clock: new ManualClock() });
    const p1 = q.enqueue(() => {
      throw new Error("boom");
    });
    const p2 = q.enqueue(async () => 2);
    await expect(p1).rejects.toThrow("boom");
    await expect(p2).resolves.toBe(2);
  });
});
