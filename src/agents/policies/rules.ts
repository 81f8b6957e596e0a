/**
 * Rule policy: each rule acts once when its condition becomes true (edge-triggered, so a rule does
 * not hammer an actuator on every reading), including at start if it already holds.
 */
import type { RulesPolicy } from "../../config/agent-schema.js";
import { Agent, type AgentOptions } from "../agent.js";
import { parseCondition } from "../../core/condition.js";

export function createRulesAgent(id: string, policy: RulesPolicy, options: AgentOptions): Agent {
  const rules = policy.rules.map((r) => ({ ...r, condition: parseCondition(r.when).test, held: false }));
  const agent = new Agent(id, { ...options, register: false });
  agent.onDecide(async (_perception, ctx) => {
    for (const rule of rules) {
      const holds = rule.condition((p) => ctx.value(p));
      const rising = holds && !rule.held;
      rule.held = holds;
      if (!rising) continue;
      for (const [point, value] of Object.entries(rule.then)) {
        await ctx.actuate(point, value, rule.reason ?? `rule: ${rule.when}`);
      }
    }
  });
  return agent;
}
