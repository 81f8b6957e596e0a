/**
 * What one agent may touch, compiled once from its capabilities and its tenant: which points it
 * may read and write and which sub-topics it may publish. Tenant visibility is secure by default:
 * an agent of a tenant sees the devices its tenant owns and the points listed in the tenant's
 * `points`; a device owned by nobody is the site's, reached by tenant agents only through `points`.
 * Agents without a tenant are the site's own and are limited by their capabilities only.
 */
import { compilePointPatterns, type PointMatcher } from "../core/point-pattern.js";
import type { Capabilities } from "../config/agent-schema.js";

export interface GrantSources {
  /** owner of each device id (undefined: nobody, the site's) */
  deviceTenant(deviceId: string): string | undefined;
  /** the `points` a tenant may use on devices nobody owns */
  tenantPoints(tenantId: string): readonly string[] | undefined;
}

export interface AgentGrants {
  canRead(pointId: string): boolean;
  canWrite(pointId: string): boolean;
  canPublish(subtopic: string): boolean;
}

export interface GrantSubject {
  tenant?: string | undefined;
  capabilities: Capabilities;
}

const SUBTOPIC = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

/** Sources for code without devices (standalone `run()`, the shell inside an isolated agent). */
export const NO_OWNERS: GrantSources = { deviceTenant: () => undefined, tenantPoints: () => undefined };

/**
 * Whether a tenant (or the site, `undefined`) may see a point at all, before capabilities. Results
 * are cached per point: the set of points of a gateway is finite.
 */
export function tenantVisibility(tenant: string | undefined, sources: GrantSources): PointMatcher {
  if (tenant === undefined) return () => true;
  const shared = compilePointPatterns(sources.tenantPoints(tenant));
  const cache = new Map<string, boolean>();
  return (pointId) => {
    let v = cache.get(pointId);
    if (v === undefined) {
      const slash = pointId.indexOf("/");
      const owner = slash > 0 ? sources.deviceTenant(pointId.slice(0, slash)) : undefined;
      v = owner === undefined ? shared(pointId) : owner === tenant;
      cache.set(pointId, v);
    }
    return v;
  };
}

/** A sub-topic under the agent's own `out/` prefix: `actions` always, else what capabilities.publish lists (`*`: any). */
export function publishMatcher(capabilities: Capabilities): (subtopic: string) => boolean {
  const publishable = new Set(capabilities.publish ?? []);
  return (sub) => SUBTOPIC.test(sub) && (sub === "actions" || publishable.has("*") || publishable.has(sub));
}

export function compileGrants(subject: GrantSubject, sources: GrantSources): AgentGrants {
  const visible = tenantVisibility(subject.tenant, sources);
  const caps = subject.capabilities;
  const write = compilePointPatterns(caps.write);
  // an agent may see the points it may write, e.g. to know whether a relay is already on
  const read = compilePointPatterns([...(caps.read ?? []), ...(caps.write ?? [])]);
  return {
    canRead: (p) => read(p) && visible(p),
    canWrite: (p) => write(p) && visible(p),
    canPublish: publishMatcher(caps),
  };
}
