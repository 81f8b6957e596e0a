/**
 * The one contract every isolation level implements: in-process, worker thread, child process,
 * external (MQTT) and container agents all look the same to the supervisor. A host starts one
 * agent, hands it the readings it may read, forwards its requests to the gateway's checked calls,
 * reports heartbeats with usage, and reports an unasked-for end as `exited` with a coded reason.
 */
import type { BrokerHandle } from "../../bus/broker.js";
import type { Clock } from "../../core/clock.js";
import type { ErrorCode } from "../../core/errors.js";
import type { GatewayScope } from "../../core/topics.js";
import type { AgentAnswer, AgentQuestion, CoordinationReply, CoordinationRequest } from "../../core/task-types.js";
import type { Logger, Reading, Value } from "../../core/types.js";
import type { IsolationKind } from "../../config/agent-schema.js";
import type { ResolvedManifest } from "../../config/agent-manifest.js";
import type { ActuationResult } from "../../devices/actuation.js";
import type { CpuOver } from "../isolation/cpu-share.js";

/** What a host knows of the agent's resource use; counters only grow within one run. */
export interface AgentUsage {
  /**
   * CPU time used, ms: exact for process agents (the child's user+system time); for workers the
   * busy time of their event loop; for in-process agents the time spent in decisions.
   */
  cpuMs: number;
  /** heap in use, bytes (0 when unknown, e.g. external agents) */
  heapBytes: number;
  decisions: number;
  failures: number;
}

export interface AgentExit {
  code: ErrorCode;
  message: string;
}

export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * The gateway's services as one agent sees them. The supervisor binds them to the agent and checks
 * every call (grants, rate limits, then the single actuation path); hosts only forward.
 */
export interface AgentCalls {
  /**
   * `idempotencyKey`: set on writes made while running a task (derived from the task id); a key that
   * already has an accepted write returns that write's outcome without actuating again
   */
  actuate(point: string, value: Value, reason: string, idempotencyKey?: string): Promise<ActuationResult>;
  /** rejects with a coded error (LOS_E_PUBLISH_NOT_PERMITTED, LOS_E_AGENT_RATE_LIMITED) */
  publish(subtopic: string, payload: unknown): Promise<void>;
  log(level: LogLevel, obj: object, msg?: string): void;
  /** leases, reservations, intents, facts and task requests (docs/coordination.md); never rejects */
  coordinate(request: CoordinationRequest): Promise<CoordinationReply>;
}

export interface HostEvents {
  /** the agent is alive; `usage` holds whatever it reported */
  heartbeat(usage: Partial<AgentUsage>): void;
  /** the agent ended without being asked to stop (crash, out of memory, gave up, sandbox error) */
  exited(reason: AgentExit): void;
  /** the agent's thread used more than its CPU share and now yields to everything else (workers) */
  cpuOver?(over: CpuOver): void;
}

export interface HostOptions {
  manifest: ResolvedManifest;
  /** directory of the gateway config: module policies are resolved from here */
  configDir: string;
  dataDir: string;
  clock: Clock;
  logger: Logger;
  calls: AgentCalls;
  events: HostEvents;
  /** the gateway's broker: external and container hosts reach their agent over it (required there) */
  broker?: BrokerHandle;
  /** site and gateway, the prefix of the agent protocol's topics (required with `broker`) */
  scope?: GatewayScope;
  /**
   * The latest readings the agent may read: sent to an external agent when it registers (it may
   * join long after the last change, and readings are reported by exception)
   */
  snapshot?: () => Reading[];
  /** the agent's previous run went over its CPU share: this one starts yielded (workers) */
  yieldAtStart?: boolean;
}

export interface AgentHost {
  readonly kind: IsolationKind;
  /**
   * Start the agent; resolves once it runs. Rejects with a coded error (LOS_E_AGENT_CONFIG,
   * LOS_E_AGENT_START_TIMEOUT, LOS_E_AGENT_SANDBOX) and leaves nothing running.
   */
  start(): Promise<void>;
  /** readings the agent may read (the supervisor has filtered them); never blocks, never throws */
  deliver(readings: readonly Reading[]): void;
  /** ask the agent to stop, wait up to graceMs, then kill it; resolves when it is gone; never throws */
  stop(graceMs: number): Promise<void>;
  /** end the agent now (watchdog, memory limit); the host then reports `exited(reason)` */
  kill(reason: AgentExit): void;
  usage(): AgentUsage;
  /** true once the agent's thread went over its CPU share and yields to everything else (workers) */
  readonly yielded?: boolean;
  /**
   * Ask the running agent a task question (call for proposals, award, run, cancel) and resolve with
   * its answer. Rejects with a coded error when the agent is not running (LOS_E_AGENT_UNKNOWN), its
   * answer is malformed (LOS_E_AGENT_PROTOCOL) or `signal` aborts first (the caller's deadline).
   * An agent without a handler answers as docs/tasks.md says: no bid, refuse the award, fail the run.
   */
  ask<Q extends AgentQuestion>(question: Q, signal: AbortSignal): Promise<AgentAnswer<Q>>;
  /** task types and skills the running agent declared (besides its manifest's `skills`) */
  skills(): readonly string[];
}

export type HostFactory = (options: HostOptions) => AgentHost;
