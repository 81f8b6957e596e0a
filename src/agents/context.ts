/**
 * All an agent may touch. The runtime builds one per agent and checks every call against the
 * agent's capabilities; writes go through the gateway's single actuation path. Coordination helpers
 * (leases, intents, facts, tasks) are requests to the gateway's task layer: like `actuate` they never
 * throw and answer with a coded reply (docs/agents.md).
 */
import type { Clock } from "../core/clock.js";
import type { CoordinationReply, FactScope, TaskRun, TaskSpec } from "../core/task-types.js";
import type { Logger, Reading, Value } from "../core/types.js";
import type { ActuationResult } from "../devices/actuation.js";

export interface FactHelpers {
  /** write a fact (scope default `agent`); `ttlMs` makes it expire on the gateway's clock */
  put(key: string, value: unknown, options?: { scope?: FactScope; ttlMs?: number }): Promise<CoordinationReply>;
  /** `reply.fact` is the fact, or null when there is none */
  get(key: string, scope?: FactScope): Promise<CoordinationReply>;
  delete(key: string, scope?: FactScope): Promise<CoordinationReply>;
}

export interface CoordinationHelpers {
  /** hold an actuator (`<device>/<point>`) for ttlMs, renewed by the agent's heartbeat */
  lease(point: string, ttlMs: number): Promise<CoordinationReply>;
  /** hold an actuator in a future window (gateway clock, ms since the epoch) */
  /** hold `point` from `inMs` from now for `forMs` (the gateway's clock turns them into times) */
  reserve(point: string, inMs: number, forMs: number): Promise<CoordinationReply>;
  release(point: string): Promise<CoordinationReply>;
  /** tell the others this agent means to write `value` to `point` in `inMs` */
  announceIntent(point: string, value: unknown, inMs: number, reason: string): Promise<CoordinationReply>;
  readonly facts: FactHelpers;
  /** create a task (allocated by the gateway); `reply.task` is its record */
  createTask(spec: TaskSpec): Promise<CoordinationReply>;
}

export interface AgentContext extends CoordinationHelpers {
  readonly agentId: string;
  /** the latest reading of a point the agent may read; throws LOS_E_READ_NOT_PERMITTED otherwise */
  read(point: string): Reading | undefined;
  /** numeric/boolean value of a good reading, else undefined */
  value(point: string): Value | undefined;
  /** write through capability → lease → envelope → driver → audit; never throws, returns a coded outcome */
  actuate(point: string, value: Value, reason: string): Promise<ActuationResult>;
  /** publish JSON under the agent's own topic prefix `…/agents/<id>/out/<subtopic>` */
  publish(subtopic: string, payload: unknown): Promise<void>;
  /** ask for a decision soon (e.g. after assigning a task) */
  wake(): void;
  readonly clock: Clock;
  readonly log: Logger;
  readonly signal: AbortSignal;
}

/**
 * The context of one task run. `actuate` carries the idempotency key `task:<taskId>:<point>:<n>`
 * (the nth write of that point in this run), the same in every attempt: a retried run replays the
 * writes an earlier attempt made instead of actuating twice. `signal` also aborts when the gateway
 * cancels this attempt.
 */
export interface TaskContext extends AgentContext {
  readonly task: TaskRun;
  /** report progress on this attempt (recorded in the task's events) */
  progress(note?: string): Promise<CoordinationReply>;
}
