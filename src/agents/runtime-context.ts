/**
 * The links of one agent hosted in an AgentRuntime to the world: its AgentContext (reads checked
 * against its grants, publications, actuations through the gateway's path, coordination helpers)
 * and the raw actuate/coordinate its task runs use. Once the agent is removed every call is refused
 * with LOS_E_AGENT_UNKNOWN: a decision abandoned after its grace period cannot act any more.
 */
import { LosError } from "../core/errors.js";
import type { Actor, Reading, Value } from "../core/types.js";
import type { ActuationResult } from "../devices/actuation.js";
import type { Agent } from "./agent.js";
import type { AgentContext } from "./context.js";
import { coordinationHelpers, NO_COORDINATION, safeCoordinate, type Coordinate } from "./coordination-helpers.js";
import type { RuntimeDeps } from "./runtime.js";

export interface LinkTarget {
  agent: Agent;
  canRead(pointId: string): boolean;
  canPublish(subtopic: string): boolean;
  removed(): boolean;
  signal: AbortSignal;
  stats: { actuations: number; refused: number };
  wake(): void;
}

export interface AgentLinks {
  ctx: AgentContext;
  actuate(point: string, value: Value, reason: string, key?: string): Promise<ActuationResult>;
  coordinate: Coordinate;
}

export function agentLinks(deps: RuntimeDeps, t: LinkTarget): AgentLinks {
  const { agent } = t;
  const actor: Actor = { kind: "agent", id: agent.id };
  if (agent.tenant !== undefined) actor.tenant = agent.tenant;
  const goneMessage = `agent "${agent.id}" was stopped; its late calls are refused`;
  const read = (point: string): Reading | undefined => {
    if (!t.canRead(point)) throw new LosError("LOS_E_READ_NOT_PERMITTED", `agent "${agent.id}" may not read ${point}`, { details: { point } });
    return deps.live.get(point);
  };
  const actuate = async (point: string, value: Value, reason: string, key?: string): Promise<ActuationResult> => {
    if (t.removed()) return { ok: false, auditId: 0, point, code: "LOS_E_AGENT_UNKNOWN", message: goneMessage };
    const result = await (key === undefined ? deps.actuate(actor, point, value, reason) : deps.actuate(actor, point, value, reason, key));
    if (result.ok) t.stats.actuations++;
    else t.stats.refused++;
    return result;
  };
  const link = deps.coordinate;
  const coordinate: Coordinate = link
    ? safeCoordinate(async (request) => (t.removed() ? { ok: false, code: "LOS_E_AGENT_UNKNOWN", message: goneMessage } : link(actor, request)))
    : NO_COORDINATION;
  const ctx: AgentContext = {
    agentId: agent.id,
    clock: deps.clock,
    log: deps.loggerFor?.(agent) ?? deps.logger.child({ agent: agent.id }),
    signal: t.signal,
    read,
    value: (point) => {
      const r = read(point);
      return r && r.quality === "good" && r.value !== null ? r.value : undefined;
    },
    actuate: (point, value, reason) => actuate(point, value, reason),
    publish: async (sub, payload) => {
      if (t.removed()) throw new LosError("LOS_E_AGENT_UNKNOWN", goneMessage);
      if (!t.canPublish(sub)) throw new LosError("LOS_E_PUBLISH_NOT_PERMITTED", `agent "${agent.id}" may not publish "${sub}"`);
      await deps.publish(agent.id, sub, payload);
    },
    wake: () => t.wake(),
    ...coordinationHelpers(coordinate),
  };
  return { ctx, actuate, coordinate };
}
