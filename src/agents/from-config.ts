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

export async function createAgentFromConfig(cfg: AgentConfig, configDir: string): Promise<Agent> {
  const options: AgentOptions = { capabilities: cfg.capabilities, register: false };
  if (cfg.tenant !== undefined) options.tenant = cfg.tenant;
  if (cfg.everyMs !== undefined) options.everyMs = cfg.everyMs;
  const policy = cfg.policy;
  switch (policy.kind) {
    case "band":
      return createBandAgent(cfg.id, policy, options);
    case "rules":
      return createRulesAgent(cfg.id, policy, options);
    case "module": {
      const file = isAbsolute(policy.file) ? policy.file : resolve(configDir, policy.file);
      let mod: { createAgent?: (id: string, options: AgentOptions & { settings?: unknown }) => Agent | Promise<Agent> };
      try {
        mod = await import(pathToFileURL(file).href);
      } catch (cause) {
        throw new LosError("LOS_E_AGENT_CONFIG", `agent "${cfg.id}": cannot load ${file}: ${(cause as Error).message}`, { cause });
      }
      if (typeof mod.createAgent !== "function") {
        throw new LosError("LOS_E_AGENT_CONFIG", `agent "${cfg.id}": ${file} does not export createAgent(id, options)`);
      }
      const agent = await mod.createAgent(cfg.id, { ...options, settings: policy.options });
      if (!(agent instanceof Agent) || agent.id !== cfg.id) {
        throw new LosError("LOS_E_AGENT_CONFIG", `agent "${cfg.id}": createAgent must return new Agent("${cfg.id}", options)`);
      }
      return agent;
    }
  }
}
