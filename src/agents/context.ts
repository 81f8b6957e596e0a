/**
 * All an agent may touch. The runtime builds one per agent and checks every call against the
 * agent's capabilities; writes go through the gateway's single actuation path.
 */
import type { Clock } from "../core/clock.js";
import type { Logger, Reading, Value } from "../core/types.js";
import type { ActuationResult } from "../devices/actuation.js";

export interface AgentContext {
  readonly agentId: string;
  /** the latest reading of a point the agent may read; throws LOS_E_READ_NOT_PERMITTED otherwise */
  read(point: string): Reading | undefined;
  /** numeric/boolean value of a good reading, else undefined */
  value(point: string): Value | undefined;
  /** write through capability → envelope → driver → audit; never throws, returns a coded outcome */
  actuate(point: string, value: Value, reason: string): Promise<ActuationResult>;
  /** publish JSON under the agent's own topic prefix `…/agents/<id>/out/<subtopic>` */
  publish(subtopic: string, payload: unknown): Promise<void>;
  /** ask for a decision soon (e.g. after assigning a task) */
  wake(): void;
  readonly clock: Clock;
  readonly log: Logger;
  readonly signal: AbortSignal;
}
