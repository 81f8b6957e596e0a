/**
 * A tenant's quotas at run time: an agent added in code (`gateway.addAgent`) must fit its tenant's
 * quotas like the config's agents do at load (src/config/tenant-checks.ts): number of agents, and
 * the sums of their heap, CPU, message and actuation limits.
 */
import { LosError } from "../core/errors.js";
import type { ResolvedManifest } from "../config/agent-manifest.js";
import type { TenantQuotas } from "../config/tenant-schema.js";

/** Throws LOS_E_TENANT_QUOTA when `next` does not fit beside the tenant's `current` agents. */
export function checkTenantQuota(tenant: string, quotas: TenantQuotas | undefined, current: readonly ResolvedManifest[], next: ResolvedManifest): void {
  if (!quotas) return;
  const all = [...current.filter((m) => m.tenant === tenant), next];
  const hosted = all.filter((m) => m.isolation === "worker" || m.isolation === "process");
  const used: [keyof TenantQuotas, number][] = [
    ["maxAgents", all.length],
    ["heapMB", hosted.reduce((s, m) => s + m.limits.heapMB, 0)],
    ["cpuPercent", all.reduce((s, m) => s + (m.limits.cpuPercent ?? 0), 0)],
    ["messagesPerSecond", all.reduce((s, m) => s + m.limits.messagesPerSecond, 0)],
    ["actuationsPerMinute", all.reduce((s, m) => s + m.limits.actuationsPerMinute, 0)],
  ];
  for (const [key, value] of used) {
    const quota = quotas[key];
    if (quota !== undefined && value > quota) {
      throw new LosError("LOS_E_TENANT_QUOTA", `agent "${next.id}" does not fit tenant "${tenant}"'s quotas.${key}: its agents would need ${value}, the quota is ${quota}`, {
        details: { tenant, quota: key, used: value, limit: quota },
      });
    }
  }
}
