// The winner that dies, for the tasks bench (plain JavaScript: runs in a worker from the sources or
// the compiled build). It bids settings.bid (default 10) on every call for proposals and, when it
// runs a task, publishes "t" (its wall clock, ms) and then, by settings.role:
//   exit — calls process.exit(3): the worker ends, the supervisor sees the exit at once
//   hang — spins for ever: no heartbeats from then on, the watchdog ends it
import { performance } from "node:perf_hooks";

const wallMs = () => performance.timeOrigin + performance.now();

export function createAgent(id, options) {
  const { Agent, settings = {} } = options;
  const agent = new Agent(id, options);
  agent.onCallForProposals(() => ({ value: settings.bid ?? 10 }));
  agent.onTask(settings.type ?? "bench-job", async (run, ctx) => {
    await ctx.publish("t", { t: wallMs(), task: run.taskId, attempt: run.attempt });
    if (settings.role === "hang") {
      for (;;) {
        // spin
      }
    }
    process.exit(3);
  });
  return agent;
}
