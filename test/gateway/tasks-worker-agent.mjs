// A worker agent for the task tests: bids settings.bid on every call for proposals; its task
// "open-vent" opens gh1/vent through the checked path (with the run's idempotency key), then, if
// settings.dieAfterWrite, ends its thread before answering: a winner that accepts and vanishes.
export function createAgent(id, options) {
  const agent = new options.Agent(id, options);
  const s = options.settings ?? {};
  agent.onCallForProposals(() => ({ value: s.bid ?? 1 }));
  agent.onTask("open-vent", async (run, ctx) => {
    const r = await ctx.actuate("gh1/vent", true, `task ${run.taskId}`);
    if (s.dieAfterWrite) process.exit(3);
    return { by: id, replayed: r.replayed === true };
  });
  return agent;
}
