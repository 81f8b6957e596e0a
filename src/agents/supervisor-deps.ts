/**
 * What the supervisor needs from the gateway (SupervisorDeps: checked calls, grants, status, the
 * dead-man rule, persistence, host loaders and the task layer's hooks) and the shapes it reports.
 */
import type { AgentStatusPayload } from "../core/topics.js";
import type { LiveValues } from "../core/live-values.js";
import type { ResolvedManifest } from "../config/agent-manifest.js";
import type { IsolationKind } from "../config/agent-schema.js";
import type { SandboxConfig } from "../config/sandbox-schema.js";
import type { AgentSnapshot } from "../store/agents-repo.js";
import type { AgentGrants } from "./grants.js";
import type { AgentExit, HostOptions } from "./hosts/agent-host.js";
import type { HostLoader } from "./hosts/registry.js";
import type { CallDeps } from "./supervisor-calls.js";

/** The retained status the supervisor publishes: always says how often the agent was restarted. */
export interface SupervisedStatus extends AgentStatusPayload {
  restarts: number;
}

export interface SupervisorDeps extends CallDeps {
  /** what external hosts need from the gateway (its broker and topic scope) */
  hostExtras?: Pick<HostOptions, "broker" | "scope">;
  /** the config's `sandbox:` section, for process agents */
  sandbox?: SandboxConfig;
  live: LiveValues;
  configDir: string;
  dataDir: string;
  /** what an agent may read, write and publish (grants.ts) */
  grants(manifest: ResolvedManifest): AgentGrants;
  publishStatus(agentId: string, status: SupervisedStatus): void;
  /** dead-man: drive the points the agent may write to their safe values (audited) */
  driveToSafe(agentId: string, grants: AgentGrants, reason: string): Promise<void>;
  /** store a snapshot of every agent (every persistEveryMs and soon after each state change) */
  persist?(agents: AgentSnapshot[]): void;
  persistEveryMs?: number;
  /** how long a stopping agent may take before it is killed (default 2000 ms) */
  stopGraceMs?: number;
  /** host loaders by isolation kind (default: hosts/registry.ts HOST_LOADERS) */
  loaders?: Partial<Record<IsolationKind, HostLoader>>;
  /** the agent is alive (the gateway renews its leases) */
  onHeartbeat?(agentId: string): void;
  /** a run ended: crashed, killed, gave up, or stopped (code LOS_E_CLOSED); its leases go, its tasks move on */
  onExit?(agentId: string, reason: AgentExit): void;
}

/** A running agent as the task layer sees it. */
export interface RunningAgent {
  id: string;
  tenant: string | undefined;
  skills: readonly string[];
}
