/**
 * Cross-checks of tenants and agent manifests: who owns which device, which MQTT user names are
 * taken, whether an agent's isolation fits its policy, whether its capabilities stay inside its
 * tenant's devices and points, and whether the tenant's agents fit its quotas.
 */
import { patternDevice } from "../core/point-pattern.js";
import { filterWithin } from "../core/topic-filter.js";
import { resolveManifest } from "./agent-manifest.js";
import type { GatewayConfig } from "./gateway-schema.js";
import type { SchemaProblem } from "./validate.js";

interface OwnedDevice {
  id: string;
  tenant?: string;
}

/** A topic filter relative to the gateway's base: segments, `+` whole segments, `#` last only. */
export function relativeFilterProblem(filter: string): string | undefined {
  if (filter.startsWith("/") || filter.startsWith("$")) return "must be relative to los/v1/<site>/<gateway>/ (no leading / or $)";
  const levels = filter.split("/");
  for (const [i, level] of levels.entries()) {
    if (level === "") return "has an empty level";
    if (level.includes("\u0000")) return "has a NUL character";
    if (level.includes("#") && (level !== "#" || i !== levels.length - 1)) return "`#` must be a whole last level";
    if (level.includes("+") && level !== "+") return "`+` must be a whole level";
  }
  return undefined;
}

/**
 * `tenants[].devices` and `devices[].tenant` both say who owns a device; they must agree. Sets the
 * owner on each loaded device so later layers read one field.
 */
export function applyDeviceOwners(config: GatewayConfig, devices: OwnedDevice[], problems: SchemaProblem[]): void {
  const byId = new Map(devices.map((d) => [d.id, d]));
  const claimedBy = new Map<string, string>();
  config.tenants?.forEach((t, i) =>
    t.devices?.forEach((id, j) => {
      const at = ["tenants", i, "devices", j];
      const device = byId.get(id);
      if (!config.devices.some((d) => d.id === id)) return problems.push({ path: at, message: `no device "${id}" is configured` });
      const other = claimedBy.get(id) ?? config.devices.find((d) => d.id === id)?.tenant;
      if (other !== undefined && other !== t.id) return problems.push({ path: at, message: `device "${id}" already belongs to tenant "${other}"` });
      claimedBy.set(id, t.id);
      if (device) device.tenant = t.id;
    }),
  );
}

export function checkTenantsAndManifests(config: GatewayConfig, devices: OwnedDevice[], problems: SchemaProblem[]): void {
  const owner = new Map(devices.map((d) => [d.id, d.tenant]));
  const configured = new Set(config.devices.map((d) => d.id));

  const usernames = new Map<string, string>();
  const claimUser = (name: string, path: (string | number)[]) => {
    const where = usernames.get(name);
    if (where) problems.push({ path, message: `MQTT user "${name}" is already declared at ${where}` });
    else usernames.set(name, path.join("."));
  };
  config.bus.users?.forEach((u, i) => claimUser(u.username, ["bus", "users", i, "username"]));

  config.tenants?.forEach((t, i) => {
    t.users?.forEach((u, j) => claimUser(u.username, ["tenants", i, "users", j, "username"]));
    t.points?.forEach((pattern, j) => {
      const device = patternDevice(pattern);
      if (device === undefined) return;
      const at = ["tenants", i, "points", j];
      if (!configured.has(device)) problems.push({ path: at, message: `no device "${device}" is configured` });
      else if (owner.get(device) !== undefined && owner.get(device) !== t.id) {
        problems.push({ path: at, message: `device "${device}" belongs to tenant "${owner.get(device)}"` });
      }
    });
    t.topics?.forEach((filter, j) => {
      const problem = relativeFilterProblem(filter);
      if (problem) problems.push({ path: ["tenants", i, "topics", j], message: `topic filter "${filter}" ${problem}` });
    });
  });

  config.agents?.forEach((a, i) => {
    const at = (path: (string | number)[], message: string) => problems.push({ path: ["agents", i, ...path], message });
    const m = resolveManifest(a);
    const external = m.isolation === "external" || m.isolation === "container";
    // a container agent may carry a policy: `llmagentos run-agent` runs it inside the image
    if (m.isolation === "external" && a.policy) at(["policy"], `an ${m.isolation} agent brings its own code; remove policy (or choose isolation in-process, worker, process or container)`);
    if (!external && !a.policy) at(["policy"], `a ${m.isolation} agent needs a policy (band, rules or module)`);
    if (!external && a.passwordEnv !== undefined) at(["passwordEnv"], "only external and container agents log in over MQTT");
    if (a.container !== undefined && m.isolation !== "container") at(["container"], "container options need isolation: container");
    if (external) claimUser(a.id, ["agents", i, "id"]);
    const tenantScopes = a.tenant === undefined ? [] : [`tenants/${a.tenant}/#`, ...(config.tenants?.find((t) => t.id === a.tenant)?.topics ?? [])];
    a.capabilities.subscribe?.forEach((filter, j) => {
      const problem = relativeFilterProblem(filter);
      if (problem) at(["capabilities", "subscribe", j], `topic filter "${filter}" ${problem}`);
      else if (!tenantScopes.some((scope) => filterWithin(filter, scope))) {
        at(["capabilities", "subscribe", j], `topic filter "${filter}" lies outside the agent's tenant topics (tenants/<tenant>/# and the tenant's granted topics)`);
      }
    });
    if (a.tenant === undefined || !config.tenants?.some((t) => t.id === a.tenant)) return; // unknown tenants: reported by load.ts
    for (const kind of ["read", "write"] as const) {
      a.capabilities[kind]?.forEach((pattern, j) => {
        const device = patternDevice(pattern);
        const o = device === undefined ? undefined : owner.get(device);
        if (o !== undefined && o !== a.tenant) at(["capabilities", kind, j], `device "${device}" belongs to tenant "${o}", not "${a.tenant}"`);
      });
    }
  });

  checkQuotas(config, problems);
}

function checkQuotas(config: GatewayConfig, problems: SchemaProblem[]): void {
  config.tenants?.forEach((t, i) => {
    const q = t.quotas;
    if (!q) return;
    const agents = (config.agents ?? []).filter((a) => a.tenant === t.id).map(resolveManifest);
    const over = (key: string, used: number, quota: number | undefined, unit: string) => {
      if (quota !== undefined && used > quota) {
        problems.push({ path: ["tenants", i, "quotas", key], message: `tenant quota exceeded: its agents need ${used}${unit}, the quota is ${quota}${unit}` });
      }
    };
    over("maxAgents", agents.length, q.maxAgents, " agents");
    const hosted = agents.filter((m) => m.isolation === "worker" || m.isolation === "process");
    over("heapMB", hosted.reduce((s, m) => s + m.limits.heapMB, 0), q.heapMB, " MB");
    const capped = agents.filter((m) => m.limits.cpuPercent !== undefined);
    over("cpuPercent", capped.reduce((s, m) => s + (m.limits.cpuPercent ?? 0), 0), q.cpuPercent, "%");
    if (q.cpuPercent !== undefined && capped.length < agents.length) {
      problems.push({ path: ["tenants", i, "quotas", "cpuPercent"], message: "with a cpuPercent quota every agent of the tenant needs limits.cpuPercent" });
    }
    over("messagesPerSecond", agents.reduce((s, m) => s + m.limits.messagesPerSecond, 0), q.messagesPerSecond, "/s");
    over("actuationsPerMinute", agents.reduce((s, m) => s + m.limits.actuationsPerMinute, 0), q.actuationsPerMinute, "/min");
  });
}
