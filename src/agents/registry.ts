/**
 * Agents created with `new Agent(id)` are collected here so the seed-style `run()` can start them
 * without being handed a list. Gateways do not use it: they add their agents to their own runtime.
 */
import type { Agent } from "./agent.js";

export class AgentRegistry {
  #agents = new Map<string, Agent>();

  add(agent: Agent): void {
    this.#agents.set(agent.id, agent);
  }

  delete(agent: Agent): void {
    if (this.#agents.get(agent.id) === agent) this.#agents.delete(agent.id);
  }

  /** Hand every registered agent over and forget them. */
  drain(): Agent[] {
    const all = [...this.#agents.values()];
    this.#agents.clear();
    return all;
  }
}

export const defaultRegistry = new AgentRegistry();
