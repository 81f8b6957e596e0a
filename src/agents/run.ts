/**
 * `run()` from the seed example: start the agents created with `new Agent(...)`, run the tasks
 * assigned to them, and resolve with what each agent did. Without a gateway the agents live in a
 * world with no devices (actions and publications only); with one they join its supervisor.
 */
import { systemClock } from "../core/clock.js";
import { LiveValues } from "../core/live-values.js";
import { createLogger } from "../core/logger.js";
import type { Logger } from "../core/types.js";
import type { ActionRecord, Agent } from "./agent.js";
import { defaultRegistry } from "./registry.js";
import { AgentRuntime } from "./runtime.js";

/** The part of a gateway `run()` needs (src/gateway.ts Gateway). */
export interface RunGateway {
  addAgent(agent: Agent): void;
  agents: { settled(): Promise<void> };
}

export interface RunOptions {
  /** join a running gateway: its supervisor hosts the agents (in-process) */
  gateway?: RunGateway;
  /** join an agent runtime instead of a standalone one */
  runtime?: AgentRuntime;
  logger?: Logger;
  /** agents to run; defaults to every agent created with `new Agent(...)` and not yet run */
  agents?: Agent[];
}

export interface RunReport {
  agents: { id: string; actions: readonly ActionRecord[] }[];
}

export async function run(options: RunOptions = {}): Promise<RunReport> {
  const agents = options.agents ?? defaultRegistry.drain();
  if (options.gateway) {
    for (const agent of agents) options.gateway.addAgent(agent);
    await options.gateway.agents.settled();
    return { agents: agents.map((a) => ({ id: a.id, actions: a.history })) };
  }
  const logger = options.logger ?? createLogger("info", process.stdout);
  const runtime =
    options.runtime ??
    new AgentRuntime({
      clock: systemClock,
      logger,
      live: new LiveValues(),
      actuate: async (_actor, point) => ({
        ok: false,
        auditId: 0,
        point,
        code: "LOS_E_POINT_UNKNOWN",
        message: "run() without a gateway has no devices; start a gateway to actuate",
      }),
      publish: async (agentId, sub, payload) => logger.debug({ agent: agentId, topic: sub, payload }, "publish"),
    });
  for (const agent of agents) runtime.add(agent);
  if (!options.runtime) runtime.start();
  await runtime.settled();
  if (!options.runtime) await runtime.stop();
  return { agents: agents.map((a) => ({ id: a.id, actions: a.history })) };
}
