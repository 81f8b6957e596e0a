/**
 * Who may write which point: the capability step of the actuation path. Agents write what their
 * capabilities grant, within their tenant's devices; MQTT users by role (admin: all, tenant: its
 * tenant's devices, others: nothing); the gateway itself (safe values) and local operators: all.
 */
import { compilePointPatterns, type PointMatcher } from "../core/point-pattern.js";
import type { Actor } from "../core/types.js";

export interface PermissionSources {
  /** tenant of each device id (undefined: no owner) */
  deviceTenant(deviceId: string): string | undefined;
  /** write patterns of an agent, or undefined for an unknown agent */
  agentWritePatterns(agentId: string): readonly string[] | undefined;
}

export class WritePermissions {
  #sources: PermissionSources;
  #agentMatchers = new Map<string, PointMatcher>();

  constructor(sources: PermissionSources) {
    this.#sources = sources;
  }

  canWrite(actor: Actor, pointId: string): boolean {
    const device = pointId.slice(0, pointId.indexOf("/"));
    const owner = this.#sources.deviceTenant(device);
    const sameTenant = owner === undefined || actor.tenant === undefined || owner === actor.tenant;
    switch (actor.kind) {
      case "system":
      case "operator":
        return true;
      case "agent":
        return sameTenant && this.#agentMatcher(actor.id)(pointId);
      case "mqtt": {
        if (actor.role === "admin") return true;
        return actor.role === "tenant" && owner !== undefined && owner === actor.tenant;
      }
    }
  }

  /** forget cached matchers, e.g. after an agent was added */
  reset(): void {
    this.#agentMatchers.clear();
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
