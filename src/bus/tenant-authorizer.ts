/**
 * The per-tenant broker ACL (docs/bus.md, docs/tenants.md). With `base` = `los/v1/<site>/<gw>`:
 * - tenant users see their tenant's subtree `base/tenants/<T>/#`, their devices, their agents,
 *   `base/status` and the topics granted to the tenant; they publish in their subtree, to their
 *   devices' `write` topics and to granted topics;
 * - agent users (external/container agents, username = agent id) publish under
 *   `base/agents/<id>/` except its gateway-owned `in/#` and `status`, and under `out/` only the
 *   sub-topics of its publish grant (`actions` always, `*` any); they read `in/#`,
 *   `base/status` and the `capabilities.subscribe` filters that lie inside their tenant's topics;
 * - coordination (docs/coordination.md): tenant users read `facts/tenants/<T>/#`, `facts/site/#`, the
 *   leases and intents of their devices' points and the state of their tenant's tasks (one task at a
 *   time: `tasks/<id>/state`), and publish `tasks/create` and their tasks' `cancel`; agent users read
 *   `facts/site/#`, `facts/tenants/<own>/#` and `facts/agents/<own id>/#`;
 * - nobody but the gateway publishes facts, leases, intents or task states, not even admin;
 * - admin, readonly and anonymous otherwise keep the default policy.
 * A subscription is allowed only if every topic it can match is allowed (filterWithin), so a
 * wildcard reaching outside (`base/+/…`, `base/#`, `#`) is refused as a whole.
 */
import { resolveManifest } from "../config/agent-manifest.js";
import type { LoadedConfig } from "../config/load.js";
import { LosError } from "../core/errors.js";
import { gatewayBase, type GatewayScope } from "../core/topics.js";
import { silentLogger, type Logger } from "../core/types.js";
import { defaultAuthorizer, type Authorizer, type Identity } from "./authorize.js";
import { filterWithin, topicMatches } from "./topic-rules.js";

export interface AclTenant {
  id: string;
  /** granted filters relative to base, e.g. `shared/weather/#` */
  topics?: readonly string[];
  /** publish rate of each of its MQTT users */
  messagesPerSecond?: number;
}

export interface AclAgent {
  id: string;
  tenant?: string;
  /** extra filters relative to base the agent asks to subscribe to */
  subscribe?: readonly string[];
  /** sub-topics under its `out/` it may publish (capabilities.publish; `*`: any); `actions` always */
  publish?: readonly string[];
  /** publish rate of the agent's MQTT user */
  messagesPerSecond?: number;
}

export interface TenantAclModel {
  scope: GatewayScope;
  tenants: readonly AclTenant[];
  devices: readonly { id: string; tenant?: string }[];
  agents: readonly AclAgent[];
  /** publish rate of every other client (bus.limits.messagesPerSecond); undefined: unlimited */
  defaultMessagesPerSecond?: number;
  /** the tenant of a task (undefined: no tenant or no such task); see setTaskTenant */
  taskTenant?: (taskId: string) => string | undefined;
}

interface Grants {
  /** filters the client may subscribe inside */
  subscribe: string[];
  /** topics (filters) the client may publish to */
  publish: string[];
  /** exact topics it may publish to (devices' write topics: a set, as a tenant may own hundreds) */
  publishExact: Set<string>;
  /** topics inside `publish` it may still not publish to */
  publishDenied: string[];
  messagesPerSecond: number | undefined;
}

/** First levels under base that belong to the gateway and to other tenants. */
const RESERVED_ROOTS = new Set(["tenants", "devices", "agents", "replies", "audit", "status"]);

/** The reply topic of a tenant user's requests without replyTo: inside its own subtree. */
export function tenantReplyTopic(scope: GatewayScope, tenant: string, correlationId: string): string {
  return `${gatewayBase(scope)}/tenants/${tenant}/replies/${correlationId}`;
}

/** A granted filter may name another subtree explicitly but never reach into one by wildcard. */
function grantProblem(filter: string): string | undefined {
  const [first, second] = filter.split("/");
  if (first === "+" || first === "#") return "starts with a wildcard";
  if (first !== undefined && RESERVED_ROOTS.has(first) && (second === undefined || second === "+" || second === "#")) {
    return `reaches into every "${first}/…" subtree`;
  }
  return undefined;
}

export class TenantAuthorizer implements Authorizer {
  #base: string;
  #tenants = new Map<string, Grants>();
  #agents = new Map<string, Grants>();
  #defaultRate: number | undefined;
  #tenantTopics: Map<string, readonly string[]>;
  #logger: Logger;
  #taskTenant: ((taskId: string) => string | undefined) | undefined;
  /** written only by the gateway itself */
  #gatewayOwned: string[];

  constructor(model: TenantAclModel, logger: Logger = silentLogger) {
    const base = gatewayBase(model.scope);
    this.#base = base;
    this.#taskTenant = model.taskTenant;
    this.#gatewayOwned = [`${base}/facts/#`, `${base}/leases/#`, `${base}/intents/#`, `${base}/tasks/+/state`];
    this.#defaultRate = model.defaultMessagesPerSecond;
    const rel = (f: string) => `${base}/${f}`;
    const tenantTopics = new Map<string, readonly string[]>();
    for (const t of model.tenants) {
      t.topics?.forEach((f, i) => {
        const problem = grantProblem(f);
        if (problem) {
          throw new LosError("LOS_E_CONFIG_INVALID", `tenant "${t.id}": granted topic "${f}" ${problem}; name the subtree explicitly`, {
            details: { path: `tenants.${t.id}.topics.${i}`, filter: f },
          });
        }
      });
      tenantTopics.set(t.id, t.topics ?? []);
    }
    const tenantIds = new Set([...model.tenants.map((t) => t.id), ...model.devices.flatMap((d) => d.tenant ?? []), ...model.agents.flatMap((a) => a.tenant ?? [])]);
    for (const id of tenantIds) {
      const own = `${base}/tenants/${id}/#`;
      const granted = (tenantTopics.get(id) ?? []).map(rel);
      const devices = model.devices.filter((d) => d.tenant === id).map((d) => d.id);
      const agents = model.agents.filter((a) => a.tenant === id).map((a) => a.id);
      this.#tenants.set(id, {
        subscribe: [
          own,
          `${base}/status`,
          ...devices.map((d) => `${base}/devices/${d}/#`),
          ...agents.map((a) => `${base}/agents/${a}/#`),
          ...granted,
          ...this.#tenantCoordination(id, devices),
        ],
        publish: [own, ...granted, `${base}/tasks/create`],
        publishExact: new Set(devices.map((d) => `${base}/devices/${d}/write`)),
        publishDenied: [],
        messagesPerSecond: model.tenants.find((t) => t.id === id)?.messagesPerSecond,
      });
    }
    this.#tenantTopics = tenantTopics;
    this.#logger = logger;
    for (const a of model.agents) this.#addAgentGrants(a);
  }

  /** The task manager's lookup, given once it exists (it is built after the broker). */
  setTaskTenant(lookup: (taskId: string) => string | undefined): void {
    this.#taskTenant = lookup;
  }

  #tenantCoordination(tenant: string, devices: readonly string[]): string[] {
    const base = this.#base;
    return [
      `${base}/facts/tenants/${tenant}/#`,
      `${base}/facts/site/#`,
      ...devices.flatMap((d) => [`${base}/leases/points/${d}/#`, `${base}/intents/${d}/#`]),
    ];
  }

  /** `base/tasks/<id>/<leaf>` of a task of this tenant (no wildcards: each task is checked) */
  #ownTask(tenant: string | undefined, topicOrFilter: string, leaf: "state" | "cancel"): boolean {
    const prefix = `${this.#base}/tasks/`;
    if (tenant === undefined || !topicOrFilter.startsWith(prefix) || !topicOrFilter.endsWith(`/${leaf}`)) return false;
    const id = topicOrFilter.slice(prefix.length, -leaf.length - 1);
    if (id === "" || /[/+#]/.test(id)) return false;
    return this.#taskTenant !== undefined && this.#taskTenant(id) === tenant;
  }

  /**
   * An agent added after start (e.g. by code): its tenant's users may read its topics, and if it
   * logs in over MQTT it gets the agent rows. Agents of the config are already known.
   */
  addAgent(a: AclAgent): void {
    if (a.tenant !== undefined) {
      const g = this.#tenants.get(a.tenant) ?? this.#unknownTenant(a.tenant);
      const scope = `${this.#base}/agents/${a.id}/#`;
      if (!g.subscribe.includes(scope)) g.subscribe.push(scope);
      // a tenant first named by an agent added at run time
      for (const f of this.#tenantCoordination(a.tenant, [])) if (!g.subscribe.includes(f)) g.subscribe.push(f);
      this.#tenants.set(a.tenant, g);
    }
    this.#addAgentGrants(a);
  }

  #addAgentGrants(a: AclAgent): void {
    const tenantScopes = a.tenant === undefined ? [] : [`tenants/${a.tenant}/#`, ...(this.#tenantTopics.get(a.tenant) ?? [])];
    const extra = (a.subscribe ?? []).filter((f) => {
      if (tenantScopes.some((s) => filterWithin(f, s))) return true;
      this.#logger.warn(
        { code: "LOS_E_CONFIG_INVALID", agent: a.id, tenant: a.tenant, filter: f },
        "agent capabilities.subscribe filter lies outside its tenant's topics (tenants/<tenant>/# and its granted topics); its subscription will be refused",
      );
      return false;
    });
    this.#agents.set(a.id, this.#agentGrants(a.id, a.tenant, extra.map((f) => `${this.#base}/${f}`), a.messagesPerSecond, a.publish ?? []));
  }

  /** An agent's own subtree, less what the gateway writes, with `out/` limited to its publish grant. */
  #agentGrants(id: string, tenant: string | undefined, extra: string[], messagesPerSecond: number | undefined, publish: readonly string[]): Grants {
    const own = `${this.#base}/agents/${id}`;
    const anyOut = publish.includes("*");
    const facts = [`${this.#base}/facts/site/#`, `${this.#base}/facts/agents/${id}/#`, ...(tenant === undefined ? [] : [`${this.#base}/facts/tenants/${tenant}/#`])];
    return {
      subscribe: [`${own}/in/#`, `${this.#base}/status`, ...facts, ...extra],
      publish: [`${own}/#`],
      publishExact: new Set(anyOut ? [] : ["actions", ...publish].map((sub) => `${own}/out/${sub}`)),
      publishDenied: [`${own}/in/#`, `${own}/status`, ...(anyOut ? [] : [`${own}/out/#`])],
      messagesPerSecond,
    };
  }

  #grants(identity: Identity): Grants | undefined {
    if (identity.role === "tenant") {
      if (identity.tenant === undefined) return undefined;
      let g = this.#tenants.get(identity.tenant);
      if (!g) this.#tenants.set(identity.tenant, (g = this.#unknownTenant(identity.tenant)));
      return g;
    }
    if (identity.role === "agent" && identity.username !== undefined) {
      return this.#agents.get(identity.username) ?? this.#agentGrants(identity.username, identity.tenant, [], undefined, []);
    }
    return undefined;
  }

  #unknownTenant(id: string): Grants {
    // a bus.users entry naming a tenant without config: its own subtree only
    const own = `${this.#base}/tenants/${id}/#`;
    return {
      subscribe: [own, `${this.#base}/status`, ...this.#tenantCoordination(id, [])],
      publish: [own, `${this.#base}/tasks/create`],
      publishExact: new Set(),
      publishDenied: [],
      messagesPerSecond: undefined,
    };
  }

  canPublish(identity: Identity, topic: string): boolean {
    if (this.#gatewayOwned.some((f) => topicMatches(f, topic))) return false;
    if (identity.role !== "tenant" && identity.role !== "agent") return defaultAuthorizer.canPublish(identity, topic);
    const g = this.#grants(identity);
    if (!g || topic.startsWith("$")) return false;
    if (g.publishExact.has(topic)) return true;
    if (identity.role === "tenant" && this.#ownTask(identity.tenant, topic, "cancel")) return true;
    return g.publish.some((f) => topicMatches(f, topic)) && !g.publishDenied.some((f) => topicMatches(f, topic));
  }

  canSubscribe(identity: Identity, filter: string): boolean {
    if (identity.role !== "tenant" && identity.role !== "agent") return defaultAuthorizer.canSubscribe(identity, filter);
    const g = this.#grants(identity);
    if (g === undefined) return false;
    if (g.subscribe.some((scope) => filterWithin(filter, scope))) return true;
    return identity.role === "tenant" && this.#ownTask(identity.tenant, filter, "state");
  }

  /** Messages per second this client may publish; undefined: unlimited. */
  publishRateOf(identity: Identity): number | undefined {
    return this.#grants(identity)?.messagesPerSecond ?? this.#defaultRate;
  }
}

/** The ACL model of a loaded config: tenants, device owners, agents with their limits. */
export function tenantAclModel(config: LoadedConfig): TenantAclModel {
  const cfg = config.config;
  const model: TenantAclModel = {
    scope: { site: cfg.site, gateway: cfg.gateway },
    tenants: (cfg.tenants ?? []).map((t) => ({
      id: t.id,
      ...(t.topics ? { topics: t.topics } : {}),
      ...(t.quotas?.messagesPerSecond !== undefined ? { messagesPerSecond: t.quotas.messagesPerSecond } : {}),
    })),
    devices: config.devices.map((d) => ({ id: d.id, ...(d.tenant !== undefined ? { tenant: d.tenant } : {}) })),
    agents: (cfg.agents ?? []).map((a) => {
      const m = resolveManifest(a);
      return {
        id: a.id,
        ...(a.tenant !== undefined ? { tenant: a.tenant } : {}),
        ...(a.capabilities.subscribe ? { subscribe: a.capabilities.subscribe } : {}),
        ...(a.capabilities.publish ? { publish: a.capabilities.publish } : {}),
        messagesPerSecond: m.limits.messagesPerSecond,
      };
    }),
  };
  const rate = cfg.bus.limits?.messagesPerSecond;
  if (rate !== undefined) model.defaultMessagesPerSecond = rate;
  return model;
}
