// The site's demand-response coordinator (docs/scenarios.md). The grid operator's signal arrives as
// the site fact `grid/dr-event` ({ id, shedKw, windowS, windowMs }); for each new event the
// coordinator creates one negotiation task "shed-load" with params.amount = shedKw, which the
// gateway splits across the appliance agents by iterated contract net. The task id is derived from
// the event id, so a second look at the same event (or a restart) meets LOS_E_TASK_DUPLICATE
// instead of shedding twice. The coordinator publishes what it did on its `dr` sub-topic.
//
// settings: { bidWindowMs?: number, confirmMs?: number, maxRounds?: number }
export function createAgent(id, options) {
  const { Agent, settings = {} } = options;
  const agent = new Agent(id, options);
  const handled = new Set();
  agent.onDecide(async (_perception, ctx) => {
    const reply = await ctx.facts.get("grid/dr-event", "site");
    const event = reply.ok ? reply.fact?.value : undefined;
    if (!event || typeof event !== "object" || handled.has(event.id)) return;
    const created = await ctx.createTask({
      id: `dr-${event.id}`,
      type: "shed-load",
      requires: ["load-control"],
      allocation: "negotiation",
      priority: 8,
      params: { amount: event.shedKw, windowS: event.windowS, windowMs: event.windowMs, event: event.id },
      auction: { objective: "min", bidWindowMs: settings.bidWindowMs ?? 300, confirmMs: settings.confirmMs ?? 1000 },
      negotiation: { maxRounds: settings.maxRounds ?? 4, minPart: 0.5 },
    });
    if (created.ok || created.code === "LOS_E_TASK_DUPLICATE") {
      handled.add(event.id);
      await ctx.publish("dr", { event: event.id, task: `dr-${event.id}`, shedKw: event.shedKw, created: created.ok });
    } else {
      ctx.log.warn({ code: created.code }, `demand-response task not created: ${created.message}`);
    }
  });
  return agent;
}
