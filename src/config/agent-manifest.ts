/**
 * An agent manifest with every default filled in: what the supervisor, the isolation hosts and the
 * broker ACL work from. The defaults live here and nowhere else (docs/agents.md lists them).
 */
import type { AgentConfig, IsolationKind } from "./agent-schema.js";

export interface ResolvedLimits {
  heapMB: number;
  /** undefined: no CPU cap (accounting only) */
  cpuPercent: number | undefined;
  /**
   * percent of one core a worker agent's thread may use over a window before it is moved to the
   * idle scheduling class (docs/isolation.md): cpuPercent (at most 100), else the default
   */
  cpuSharePercent: number;
  messagesPerSecond: number;
  actuationsPerMinute: number;
  decisionTimeoutMs: number;
}

export interface ResolvedRestart {
  strategy: "permanent" | "transient" | "temporary";
  maxRestarts: number;
  withinMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
}

export interface ResolvedManifest {
  config: AgentConfig;
  id: string;
  tenant: string | undefined;
  isolation: IsolationKind;
  /** skills the manifest declares (the running agent adds its task types) */
  skills: readonly string[];
  limits: ResolvedLimits;
  restart: ResolvedRestart;
  heartbeatMs: number;
  /** silence after which an isolated or external agent counts as hung (3 heartbeats) */
  watchdogMs: number;
}

export const AGENT_DEFAULTS = {
  heapMB: 64,
  /** a worker thread over half a core yields to the rest; a process agent's cap is its cgroup's */
  cpuSharePercent: 50,
  messagesPerSecond: 100,
  actuationsPerMinute: 120,
  decisionTimeoutMs: 5000,
  heartbeatMs: 500,
  missedHeartbeats: 3,
  restart: { strategy: "permanent", maxRestarts: 5, withinMs: 60_000, backoffMinMs: 100, backoffMaxMs: 10_000 },
} as const;

/**
 * Where an agent runs when its manifest does not say: a tenant's code module in a worker thread
 * (untrusted code gets a heap limit and a watchdog), data policies and the site's own agents
 * (no tenant) in-process, agents without a policy as external agents over MQTT.
 */
export function isolationOf(a: AgentConfig): IsolationKind {
  if (a.isolation) return a.isolation;
  if (!a.policy) return "external";
  return a.policy.kind === "module" && a.tenant !== undefined ? "worker" : "in-process";
}

export function resolveManifest(a: AgentConfig): ResolvedManifest {
  const l = a.limits ?? {};
  const r = a.restart ?? {};
  const d = AGENT_DEFAULTS;
  const heartbeatMs = a.heartbeatMs ?? d.heartbeatMs;
  return {
    config: a,
    id: a.id,
    tenant: a.tenant,
    isolation: isolationOf(a),
    skills: a.skills ?? [],
    limits: {
      heapMB: l.heapMB ?? d.heapMB,
      cpuPercent: l.cpuPercent,
      cpuSharePercent: Math.min(100, l.cpuPercent ?? d.cpuSharePercent),
      messagesPerSecond: l.messagesPerSecond ?? d.messagesPerSecond,
      actuationsPerMinute: l.actuationsPerMinute ?? d.actuationsPerMinute,
      decisionTimeoutMs: l.decisionTimeoutMs ?? d.decisionTimeoutMs,
    },
    restart: {
      strategy: r.strategy ?? d.restart.strategy,
      maxRestarts: r.maxRestarts ?? d.restart.maxRestarts,
      withinMs: r.withinMs ?? d.restart.withinMs,
      backoffMinMs: r.backoffMinMs ?? d.restart.backoffMinMs,
      backoffMaxMs: Math.max(r.backoffMaxMs ?? d.restart.backoffMaxMs, r.backoffMinMs ?? d.restart.backoffMinMs),
    },
    heartbeatMs,
    watchdogMs: heartbeatMs * d.missedHeartbeats,
  };
}
