/**
 * Band policy: keep a measured point inside [low, high] with on/off actuators and hysteresis. Below
 * low the heater goes on until the middle of the band is reached; above high the cooler goes on
 * until the middle. It writes only when the wanted state differs from the actuator's reading.
 */
import type { BandPolicy } from "../../config/agent-schema.js";
import { Agent, type AgentOptions } from "../agent.js";
import type { AgentContext } from "../context.js";

async function ensure(ctx: AgentContext, point: string | undefined, on: boolean, reason: string): Promise<void> {
  if (!point || ctx.value(point) === on) return;
  await ctx.actuate(point, on, reason);
}

export function createBandAgent(id: string, policy: BandPolicy, options: AgentOptions): Agent {
  const mid = (policy.low + policy.high) / 2;
  const agent = new Agent(id, { ...options, register: false });
  agent.onDecide(async (_perception, ctx) => {
    const v = ctx.value(policy.point);
    if (typeof v !== "number") return;
    const heating = policy.heat !== undefined && ctx.value(policy.heat) === true;
    const cooling = policy.cool !== undefined && ctx.value(policy.cool) === true;
    const fmt = `${policy.point} = ${v}`;
    if (v < policy.low) {
      await ensure(ctx, policy.cool, false, `${fmt} below ${policy.low}`);
      await ensure(ctx, policy.heat, true, `${fmt} below ${policy.low}`);
    } else if (v > policy.high) {
      await ensure(ctx, policy.heat, false, `${fmt} above ${policy.high}`);
      await ensure(ctx, policy.cool, true, `${fmt} above ${policy.high}`);
    } else if (heating && v >= mid) {
      await ensure(ctx, policy.heat, false, `${fmt} reached the middle of the band`);
    } else if (cooling && v <= mid) {
      await ensure(ctx, policy.cool, false, `${fmt} reached the middle of the band`);
    }
  });
  return agent;
}
