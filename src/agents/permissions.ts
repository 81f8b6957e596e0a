/**
 * Who may write which point: the capability step of the actuation path. Agents write what their
 * capabilities grant inside their tenant's visibility (grants.ts: own devices plus the tenant's
 * `points` on devices nobody owns); MQTT users by role (admin: all, tenant: what its tenant sees,
 * others: nothing); the gateway itself (safe values) and local operators: all.
 */
import { compilePointPatterns, type PointMatcher } from "../core/point-pattern.js";
import type { Actor } from "../core/types.js";
import { tenantVisibility } from "./grants.js";

export interface PermissionSources {
  /** tenant of each device id (undefined: no owner) */
  deviceTenant(deviceId: string): string | undefined;
  /** write patterns of an agent, or undefined for an unknown agent */
  agentWritePatterns(agentId: string): readonly string[] | undefined;
  /** points of unowned devices a tenant may use (tenants[].points); none when omitted */
  tenantPoints?(tenantId: string): readonly string[] | undefined;
}

export class WritePermissions {
  #sources: PermissionSources;
  #agentMatchers = new Map<string, PointMatcher>();
  #visibility = new Map<string, PointMatcher>();

  constructor(sources: PermissionSources) {
    this.#sources = sources;
  }

  canWrite(actor: Actor, pointId: string): boolean {
    switch (actor.kind) {
      case "system":
      case "operator":
        return true;
      case "agent":
        return this.#visible(actor.tenant, pointId) && this.#agentMatcher(actor.id)(pointId);
      case "mqtt":
        if (actor.role === "admin") return true;
        return actor.role === "tenant" && actor.tenant !== undefined && this.#visible(actor.tenant, pointId);
    }
  }

  /** forget cached matchers, e.g. after an agent was added */
  reset(): void {
    this.#agentMatchers.clear();
  }

  #visible(tenant: string | undefined, pointId: string): boolean {
    if (tenant === undefined) return true;
    let v = this.#visibility.get(tenant);
    if (!v) {
      const s = this.#sources;
      v = tenantVisibility(tenant, { deviceTenant: (d) => s.deviceTenant(d), tenantPoints: (t) => s.tenantPoints?.(t) });
      this.#visibility.set(tenant, v);
    }
    return v(pointId);
  }

  #agentMatcher(agentId: string): PointMatcher {
    let m = this.#agentMatchers.get(agentId);
    if (!m) {
      m = compilePointPatterns(this.#sources.agentWritePatterns(agentId));
      this.#agentMatchers.set(agentId, m);
    }
    return m;
  }
}
