/**
 * Build the agents a gateway config declares: data policies (band, rules) or a code module that
 * exports `createAgent(id, options)` returning an Agent.
 */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { LosError } from "../core/errors.js";
import type { AgentConfig } from "../config/agent-schema.js";
import { Agent, type AgentOptions } from "./agent.js";
import { createBandAgent } from "./policies/band.js";
import { createRulesAgent } from "./policies/rules.js";

/**
 * The module may have been loaded from the TypeScript sources while the gateway runs the compiled
 * build (or the other way round): two copies of the Agent class. Check the shape, not the class.
 */
function isAgentLike(value: unknown): value is Agent {
  if (value instanceof Agent) return true;
  const a = value as Partial<Agent> | null;
  return (
    !!a &&
    typeof a.id === "string" &&
    typeof a.onDecide === "function" &&
    typeof a.attach === "function" &&
    typeof a.takeTasks === "function" &&
    typeof a.capabilities === "object"
  );
}

/**
 * What a module's createAgent receives. `Agent` is the running gateway's own class, so a plain
 * JavaScript module (e.g. one run in a worker from the compiled build) needs no import of ours.
 */
export type ModuleAgentOptions = AgentOptions & { settings?: unknown; Agent: typeof Agent };

export async function createAgentFromConfig(cfg: AgentConfig, configDir: string): Promise<Agent> {
  const options: AgentOptions = { capabilities: cfg.capabilities, register: false };
  if (cfg.tenant !== undefined) options.tenant = cfg.tenant;
  if (cfg.everyMs !== undefined) options.everyMs = cfg.everyMs;
  if (cfg.skills !== undefined) options.skills = cfg.skills;
  const policy = cfg.policy;
  if (!policy) throw new LosError("LOS_E_AGENT_CONFIG", `agent "${cfg.id}" has no policy to run here (external and container agents run their own code)`);
  switch (policy.kind) {
    case "band":
      return createBandAgent(cfg.id, policy, options);
    case "rules":
      return createRulesAgent(cfg.id, policy, options);
    case "module": {
      const file = isAbsolute(policy.file) ? policy.file : resolve(configDir, policy.file);
      let mod: { createAgent?: (id: string, options: ModuleAgentOptions) => Agent | Promise<Agent> };
      try {
        // a TypeScript agent module under the compiled build: load tsx's loader first, on demand
        if (/\.[cm]?ts$/.test(file)) (await import("tsx/esm/api")).register();
        mod = await import(pathToFileURL(file).href);
      } catch (cause) {
        throw new LosError("LOS_E_AGENT_CONFIG", `agent "${cfg.id}": cannot load ${file}: ${(cause as Error).message}`, { cause });
      }
      if (typeof mod.createAgent !== "function") {
        throw new LosError("LOS_E_AGENT_CONFIG", `agent "${cfg.id}": ${file} does not export createAgent(id, options)`);
      }
      const agent = await mod.createAgent(cfg.id, { ...options, settings: policy.options, Agent });
      if (!isAgentLike(agent) || agent.id !== cfg.id) {
        throw new LosError("LOS_E_AGENT_CONFIG", `agent "${cfg.id}": createAgent must return new Agent("${cfg.id}", options)`);
      }
      return agent;
    }
  }
}
