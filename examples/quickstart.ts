/**
 * The project's seed example in TypeScript: two agents, one task, run().
 *
 *   npx tsx examples/quickstart.ts
 *
 * agent1 is given a task in which agent1 performs action "A" and agent2 performs action "B".
 * "A" is defined (it computes something); "B" is abstract: it is recorded and announced, as in the
 * seed. run() starts both agents, runs the task and resolves with what each agent did.
 */
import { Agent, run } from "../src/index.js";

const agent1 = new Agent("agent1");
const agent2 = new Agent("agent2");

agent1.defineAction("A", () => ({ measured: 21.5, unit: "degC" }));

async function task(): Promise<void> {
  await agent1.action("A");
  await agent2.action("B");
}

agent1.assignTask(task);

const report = await run();
for (const agent of report.agents) {
  for (const a of agent.actions) {
    console.log(`${agent.id} did ${a.action}${a.result === undefined ? "" : ` -> ${JSON.stringify(a.result)}`}`);
  }
}
