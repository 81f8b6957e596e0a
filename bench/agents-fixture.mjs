// Agents of the agents bench (plain JavaScript: runs in-process, in a worker or in a child process
// from the compiled build). settings.role:
// Each reacts only to readings of settings.input (default bench/in).
//   echo  — well-behaved: on each reading it actuates bench/out with the reading's value
//   crash — on a reading it publishes "t" (its wall clock, ms) and throws from a timer (uncaught)
//   exit  — on a reading it publishes "t" and calls process.exit(3)
//   hang  — on a reading it publishes "t", then spins in the decision (no heartbeats from then on)
//   flood — on a reading it fires publications without waiting, one batch per event-loop turn, for ever
//   hog   — on a reading it allocates until its heap limit kills it
import { performance } from "node:perf_hooks";
import { setImmediate, setTimeout } from "node:timers";

const wallMs = () => performance.timeOrigin + performance.now();

export function createAgent(id, options) {
  const { Agent, settings = {} } = options;
  const role = settings.role ?? "echo";
  const input = settings.input ?? "bench/in";
  const agent = new Agent(id, options);
  let flooding = false;
  const hoard = [];
  agent.onDecide(async (perception, ctx) => {
    const r = perception.readings.find((x) => x.point === input);
    if (!r) return;
    switch (role) {
      case "echo":
        await ctx.actuate("bench/out", r.value, "bench echo");
        return;
      case "crash":
        await ctx.publish("t", { t: wallMs() });
        setTimeout(() => {
          throw new Error("bench crash from a timer");
        }, 0);
        return;
      case "exit":
        await ctx.publish("t", { t: wallMs() });
        process.exit(3);
        return;
      case "hang":
        await ctx.publish("t", { t: wallMs() });
        for (;;) {
          // spin
        }
      case "flood": {
        if (flooding) return;
        flooding = true;
        const burst = () => {
          for (let i = 0; i < 200; i++) ctx.publish("flood", { i }).catch(() => {});
          setImmediate(burst);
        };
        burst();
        return;
      }
      case "hog":
        for (;;) hoard.push(new Array(100_000).fill(hoard.length));
    }
  });
  return agent;
}
