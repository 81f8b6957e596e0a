/**
 * The checked calls one agent gets (AgentCalls): publish → grant → message bucket; log → message
 * bucket; coordinate → message bucket → the task layer (leases, facts, intents, tasks); actuate →
 * actuation bucket → the gateway's single actuation path (capability, lease, envelope, driver, audit). Everything refused is counted; an agent that keeps flooding is reported so the
 * supervisor can stop it. Calls from a run that has ended are refused.
 */
import type { Clock } from "../core/clock.js";
import { LosError, toLosError, type ErrorCode } from "../core/errors.js";
import type { CoordinationReply, CoordinationRequest } from "../core/task-types.js";
import type { Actor, Logger, Value } from "../core/types.js";
import type { ResolvedManifest } from "../config/agent-manifest.js";
import type { ActuationResult } from "../devices/actuation.js";
import type { AgentGrants } from "./grants.js";
import type { AgentCalls } from "./hosts/agent-host.js";
import { FloodGuard, TokenBucket } from "./token-bucket.js";

/** Counters of one agent over the gateway's life (all runs). */
export interface CallCounters {
  messagesIn: number;
  messagesOut: number;
  logLines: number;
  actuations: number;
  refused: number;
  rateLimited: number;
}

export interface CallDeps {
  clock: Clock;
  logger: Logger;
  /** `idempotencyKey`: a task run's write (a second write with the key replays the first) */
  actuate(actor: Actor, point: string, value: Value, reason: string, idempotencyKey?: string): Promise<ActuationResult>;
  /** audit an actuation refused before the actuation path (rate limit, agent gone) and answer it */
  refuse(actor: Actor, point: string, value: Value, reason: string, code: ErrorCode, message: string): ActuationResult;
  publish(agentId: string, subtopic: string, payload: unknown): Promise<void>;
  /** the task layer's coordination (the gateway checks scopes and holders); absent: refused */
  coordinate?(actor: Actor, request: CoordinationRequest): Promise<CoordinationReply> | CoordinationReply;
}

/** Rate limits of one agent; they live across restarts (a restart must not refill a flood). */
export class AgentLimiter {
  readonly messages: TokenBucket;
  readonly actuations: TokenBucket;
  readonly messageFlood: FloodGuard;
  readonly actuationFlood: FloodGuard;
  /** rate-limited actuations are audited a few per second; a flood beyond that is only counted */
  readonly refusalAudits: TokenBucket;

  constructor(clock: Clock, m: ResolvedManifest) {
    this.messages = new TokenBucket(clock, m.limits.messagesPerSecond, 1000);
    this.actuations = new TokenBucket(clock, m.limits.actuationsPerMinute, 60_000);
    this.messageFlood = new FloodGuard(clock, m.limits.messagesPerSecond);
    this.actuationFlood = new FloodGuard(clock, m.limits.actuationsPerMinute / 60);
    this.refusalAudits = new TokenBucket(clock, 1, 1000, 5);
  }
}

export interface BoundAgent {
  manifest: ResolvedManifest;
  grants: AgentGrants;
  limiter: AgentLimiter;
  counters: CallCounters;
  /** is this run still the agent's current, live run? */
  alive(): boolean;
  /** the agent flooded for long enough: stop it */
  flooded(what: string): void;
}

export function checkedCalls(deps: CallDeps, a: BoundAgent): AgentCalls {
  const { id, tenant } = a.manifest;
  const actor: Actor = tenant === undefined ? { kind: "agent", id } : { kind: "agent", id, tenant };
  const log = deps.logger.child({ agent: id });
  const c = a.counters;
  const gone = () => new LosError("LOS_E_AGENT_UNKNOWN", `agent "${id}" is not running; its late calls are refused`);
  const limited = (guard: FloodGuard, what: string) => {
    c.rateLimited++;
    if (guard.refused()) a.flooded(what);
  };
  return {
    actuate: async (point, value, reason, idempotencyKey) => {
      if (!a.alive()) return deps.refuse(actor, point, value, reason, "LOS_E_AGENT_UNKNOWN", gone().message);
      if (!a.limiter.actuations.take()) {
        limited(a.limiter.actuationFlood, "actuations");
        const message = `agent "${id}" is over limits.actuationsPerMinute (${a.manifest.limits.actuationsPerMinute})`;
        if (a.limiter.refusalAudits.take()) return deps.refuse(actor, point, value, reason, "LOS_E_AGENT_RATE_LIMITED", message);
        return { ok: false, auditId: 0, point, code: "LOS_E_AGENT_RATE_LIMITED", message };
      }
      const result = await (idempotencyKey === undefined ? deps.actuate(actor, point, value, reason) : deps.actuate(actor, point, value, reason, idempotencyKey));
      if (result.ok) c.actuations++;
      else c.refused++;
      return result;
    },
    publish: async (subtopic, payload) => {
      if (!a.alive()) throw gone();
      if (!a.grants.canPublish(subtopic)) {
        c.refused++;
        throw new LosError("LOS_E_PUBLISH_NOT_PERMITTED", `agent "${id}" may not publish "${subtopic}"`, { details: { subtopic } });
      }
      if (!a.limiter.messages.take()) {
        limited(a.limiter.messageFlood, "messages");
        throw new LosError("LOS_E_AGENT_RATE_LIMITED", `agent "${id}" is over limits.messagesPerSecond (${a.manifest.limits.messagesPerSecond})`);
      }
      c.messagesOut++;
      await deps.publish(id, subtopic, payload);
    },
    coordinate: async (request): Promise<CoordinationReply> => {
      if (!a.alive()) return { ok: false, code: "LOS_E_AGENT_UNKNOWN", message: gone().message };
      if (!a.limiter.messages.take()) {
        limited(a.limiter.messageFlood, "coordination requests");
        return { ok: false, code: "LOS_E_AGENT_RATE_LIMITED", message: `agent "${id}" is over limits.messagesPerSecond (${a.manifest.limits.messagesPerSecond})` };
      }
      // limited like messages, not counted as one: messagesOut stays the agent's publications
      if (!deps.coordinate) return { ok: false, code: "LOS_E_REQUEST_INVALID", message: "this gateway has no task layer for leases, facts and tasks" };
      try {
        return await deps.coordinate(actor, request);
      } catch (err) {
        const e = toLosError(err, "LOS_E_INTERNAL");
        return { ok: false, code: e.code, message: e.message };
      }
    },
    log: (level, obj, msg) => {
      if (!a.alive()) return;
      if (!a.limiter.messages.take()) return limited(a.limiter.messageFlood, "log lines");
      c.logLines++;
      log[level](obj, msg);
    },
  };
}
