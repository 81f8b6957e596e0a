/**
 * The agent side of a gateway: the supervisor wired to the bus (status, publications, audit of
 * refusals), the single actuation path, the store (snapshots for `llmagentos agents`) and the
 * dead-man rule; the manifests of the config's agents and of agents added in code.
 */
import type { Clock } from "../core/clock.js";
import type { ErrorCode } from "../core/errors.js";
import type { LiveValues } from "../core/live-values.js";
import { topics, type GatewayScope } from "../core/topics.js";
import type { Actor, Logger, Value } from "../core/types.js";
import { resolveManifest, type ResolvedManifest } from "../config/agent-manifest.js";
import type { AgentConfig } from "../config/agent-schema.js";
import type { LoadedConfig } from "../config/load.js";
import type { BrokerHandle } from "../bus/broker.js";
import type { BusClient } from "../bus/bus-client.js";
import type { ActuationResult, ActuationService } from "../devices/actuation.js";
import type { Store } from "../store/index.js";
import type { Agent } from "./agent.js";
import { compileGrants, type AgentGrants, type GrantSources } from "./grants.js";
import { Supervisor, type SupervisorDeps } from "./supervisor.js";
import { checkTenantQuota } from "./tenant-quota.js";

/** What a code agent may set of its manifest; the rest comes from the agent object. */
export type CodeAgentOptions = Pick<AgentConfig, "limits" | "restart" | "heartbeatMs">;

export interface GatewayAgentsDeps {
  config: LoadedConfig;
  scope: GatewayScope;
  clock: Clock;
  logger: Logger;
  bus: BusClient;
  store: Store;
  live: LiveValues;
  actuation: ActuationService;
  grantSources: GrantSources;
  /** the agent's write patterns are known to the capability step of the actuation path */
  onManifest(manifest: ResolvedManifest): void;
  broker?: BrokerHandle;
  /** the task layer's hooks (src/tasks/): heartbeats renew an agent's leases; an exit or a stop ends them */
  onHeartbeat?: SupervisorDeps["onHeartbeat"];
  onExit?: SupervisorDeps["onExit"];
  /** agents' coordination requests (leases, facts, intents, tasks); absent: refused with LOS_E_REQUEST_INVALID */
  coordinate?: SupervisorDeps["coordinate"];
}

export interface GatewayAgents {
  supervisor: Supervisor;
  /** host an agent written in code, in-process */
  addAgent(agent: Agent, options?: CodeAgentOptions): void;
  /** writable points a set of grants covers (every one with `undefined`) */
  writablePoints(grants?: AgentGrants): { deviceId: string; point: LoadedConfig["devices"][number]["profile"]["points"][number] }[];
}

/** Manifest of an agent given in code: in-process, its own identity and capabilities. */
export function codeAgentManifest(agent: Agent, options: CodeAgentOptions = {}): ResolvedManifest {
  const config: AgentConfig = { id: agent.id, capabilities: agent.capabilities, isolation: "in-process", ...options };
  if (agent.tenant !== undefined) config.tenant = agent.tenant;
  if (agent.everyMs !== undefined) config.everyMs = agent.everyMs;
  return resolveManifest(config);
}

export function createGatewayAgents(d: GatewayAgentsDeps): GatewayAgents {
  const { bus, scope, clock, store, logger } = d;
  const writablePoints = (grants?: AgentGrants) =>
    d.config.devices.flatMap((dev) =>
      dev.profile.points.filter((p) => p.writable && (!grants || grants.canWrite(`${dev.id}/${p.name}`))).map((point) => ({ deviceId: dev.id, point })),
    );
  const refuse = (actor: Actor, point: string, value: Value, reason: string, code: ErrorCode, message: string): ActuationResult => {
    let auditId = 0;
    try {
      const ts = clock.now();
      auditId = store.audit.record({ ts, actor, point, value, reason, outcome: "refused", code, message }).id;
      void bus.publish(topics.audit(scope), { id: auditId, ts, actor: actor.id, point, value, reason, outcome: "refused", code }).catch(() => {});
    } catch (err) {
      logger.warn({ agent: actor.id, point, err: (err as Error).message }, "could not audit a refused actuation");
    }
    return { ok: false, auditId, point, code, message };
  };
  const supervisor = new Supervisor({
    hostExtras: { ...(d.broker ? { broker: d.broker } : {}), scope },
    ...(d.config.config.sandbox ? { sandbox: d.config.config.sandbox } : {}),
    clock,
    logger,
    live: d.live,
    configDir: d.config.dir,
    dataDir: d.config.dataDir,
    grants: (m) => compileGrants({ tenant: m.tenant, capabilities: m.config.capabilities }, d.grantSources),
    actuate: (actor, point, value, reason, idempotencyKey) =>
      d.actuation.actuate(idempotencyKey === undefined ? { actor, point, value, reason } : { actor, point, value, reason, idempotencyKey }),
    refuse,
    publish: (agentId, sub, payload) => bus.publish(topics.agentOut(scope, agentId, sub), payload as object),
    publishStatus: (agentId, status) => void bus.publish(topics.agentStatus(scope, agentId), status, { retain: true }).catch(() => {}),
    driveToSafe: async (_agentId, grants, reason) => void (await d.actuation.driveToSafe(writablePoints(grants), reason)),
    persist: (agents) => store.agents.replaceAll(agents),
    ...(d.onHeartbeat ? { onHeartbeat: d.onHeartbeat } : {}),
    ...(d.onExit ? { onExit: d.onExit } : {}),
    ...(d.coordinate ? { coordinate: d.coordinate } : {}),
  });
  const manifests: ResolvedManifest[] = [];
  const add = (manifest: ResolvedManifest, agent?: Agent) => {
    if (manifest.tenant !== undefined) {
      const tenant = d.config.config.tenants?.find((t) => t.id === manifest.tenant);
      checkTenantQuota(manifest.tenant, tenant?.quotas, manifests, manifest);
    }
    d.onManifest(manifest);
    supervisor.add(manifest, agent);
    manifests.push(manifest);
  };
  for (const a of d.config.config.agents ?? []) add(resolveManifest(a));
  return { supervisor, addAgent: (agent, options) => add(codeAgentManifest(agent, options), agent), writablePoints };
}
