/**
 * Load a gateway config: YAML → schema → profiles → cross-references. Either everything is valid and
 * a fully resolved config comes back, or one coded error lists every problem with file, line and path.
 * A bad config never starts a half-working gateway.
 */
import { dirname, isAbsolute, resolve } from "node:path";
import { parseCondition } from "../core/condition.js";
import { isLosError, LosError } from "../core/errors.js";
import { compilePointPatterns, patternDevice } from "../core/point-pattern.js";
import type { AgentConfig } from "./agent-schema.js";
import { CONNECTION_PROTOCOL, connectionKey } from "./connection-key.js";
import type { Connection } from "./connection-schema.js";
import { GatewayConfig } from "./gateway-schema.js";
import { loadProfileFile, resolveProfilePath } from "./profile-load.js";
import type { DeviceProfile } from "./profile-schema.js";
import { validateSchema, type SchemaProblem } from "./validate.js";
import { applyDeviceOwners, checkTenantsAndManifests } from "./tenant-checks.js";
import { problemsError, readYamlFile, type YamlFile } from "./yaml-file.js";

export interface LoadedDevice {
  id: string;
  tenant?: string;
  profile: DeviceProfile;
  profileFile: string;
  connection: Connection;
  pollMs?: number;
}

export interface LoadedConfig {
  file: string;
  /** directory of the config file: relative paths in it are resolved from here */
  dir: string;
  dataDir: string;
  config: GatewayConfig;
  devices: LoadedDevice[];
}

function loadDevices(config: GatewayConfig, dir: string, problems: SchemaProblem[]): LoadedDevice[] {
  const searchDirs = config.profilesDir ? [resolve(dir, config.profilesDir)] : [];
  const devices: LoadedDevice[] = [];
  // Devices of one model share one profile file: parse and validate it once, share the result (read-only
  // from here on). 100 devices of one profile used to parse it 100 times (≈ 19 MB of garbage, 100 copies).
  const profiles = new Map<string, DeviceProfile | LosError>();
  const profileOf = (file: string): DeviceProfile => {
    let p = profiles.get(file);
    if (p === undefined) {
      try {
        p = loadProfileFile(file);
      } catch (err) {
        if (!isLosError(err)) throw err;
        p = err;
      }
      profiles.set(file, p);
    }
    if (p instanceof LosError) throw p;
    return p;
  };
  config.devices.forEach((d, i) => {
    try {
      const profileFile = resolveProfilePath(d.profile, dir, searchDirs);
      const loaded: LoadedDevice = { id: d.id, profile: profileOf(profileFile), profileFile, connection: d.connection };
      if (d.tenant !== undefined) loaded.tenant = d.tenant;
      if (d.pollMs !== undefined) loaded.pollMs = d.pollMs;
      devices.push(loaded);
    } catch (err) {
      if (!isLosError(err)) throw err;
      problems.push({ path: ["devices", i, "profile"], message: err.message });
    }
  });
  return devices;
}

function checkUnique(items: { id: string }[] | undefined, section: string, problems: SchemaProblem[]): Set<string> {
  const ids = new Set<string>();
  items?.forEach((item, i) => {
    if (ids.has(item.id)) problems.push({ path: [section, i, "id"], message: `duplicate id "${item.id}"` });
    ids.add(item.id);
  });
  return ids;
}

function checkConnections(config: GatewayConfig, problems: SchemaProblem[]): void {
  const units = new Map<string, number>();
  const lines = new Map<string, { type: string; settings: string }>();
  config.devices.forEach((d, i) => {
    const c = d.connection;
    const key = connectionKey(c);
    if (c.type === "modbus-tcp" || c.type === "modbus-rtu") {
      const unit = `${key}#${c.unitId}`;
      const other = units.get(unit);
      if (other !== undefined) {
        problems.push({
          path: ["devices", i, "connection", "unitId"],
          message: `unit id ${c.unitId} on ${key} is already used by device "${config.devices[other]!.id}"`,
        });
      }
      units.set(unit, i);
    }
    if (c.type === "modbus-rtu" || c.type === "serial") {
      // one port, one protocol and one line setting: every device on it shares the wire
      const settings = `${c.baudRate ?? 9600}/${c.parity ?? "none"}/${c.dataBits ?? 8}/${c.stopBits ?? 1}`;
      const seen = lines.get(c.path);
      if (seen !== undefined && seen.type !== c.type) {
        problems.push({ path: ["devices", i, "connection", "type"], message: `${c.path} is already used as a ${seen.type} line by another device` });
      } else if (seen !== undefined && seen.settings !== settings) {
        problems.push({
          path: ["devices", i, "connection"],
          message: `serial settings ${settings} differ from ${seen.settings} of another device on ${c.path}`,
        });
      }
      lines.set(c.path, { type: c.type, settings });
    }
  });
}

function checkProtocols(devices: LoadedDevice[], config: GatewayConfig, problems: SchemaProblem[]): void {
  devices.forEach((d) => {
    const expected = CONNECTION_PROTOCOL[d.connection.type];
    if (d.profile.protocol !== expected) {
      const i = config.devices.findIndex((c) => c.id === d.id);
      problems.push({
        path: ["devices", i, "connection", "type"],
        message: `profile ${d.profile.vendor}/${d.profile.model} speaks ${d.profile.protocol}, but the connection is ${d.connection.type}`,
      });
    }
  });
}

function pointExists(devices: Map<string, LoadedDevice>, id: string): boolean {
  const slash = id.indexOf("/");
  const device = devices.get(id.slice(0, slash));
  return !!device && device.profile.points.some((p) => p.name === id.slice(slash + 1));
}

function checkAgent(a: AgentConfig, i: number, devices: Map<string, LoadedDevice>, problems: SchemaProblem[]): void {
  const at = (path: (string | number)[], message: string) => problems.push({ path: ["agents", i, ...path], message });
  for (const kind of ["read", "write"] as const) {
    a.capabilities[kind]?.forEach((pattern, j) => {
      const device = patternDevice(pattern);
      if (device !== undefined && !devices.has(device)) at(["capabilities", kind, j], `no device "${device}" is configured`);
    });
  }
  // as in the runtime, an agent may read the points it may write (e.g. whether a relay is already on)
  const canRead = compilePointPatterns([...(a.capabilities.read ?? []), ...(a.capabilities.write ?? [])]);
  const canWrite = compilePointPatterns(a.capabilities.write);
  const needRead = (path: (string | number)[], id: string) => {
    if (!pointExists(devices, id)) at(path, `no point "${id}" (expected <device>/<point> of a configured device)`);
    else if (!canRead(id)) at(path, `"${id}" is not in capabilities.read`);
  };
  const needWrite = (path: (string | number)[], id: string) => {
    if (!pointExists(devices, id)) at(path, `no point "${id}" (expected <device>/<point> of a configured device)`);
    else if (!canWrite(id)) at(path, `"${id}" is not in capabilities.write`);
  };
  const p = a.policy;
  if (p === undefined) return; // external agents: checked in tenant-checks.ts
  if (p.kind === "band") {
    needRead(["policy", "point"], p.point);
    if (p.low >= p.high) at(["policy", "low"], `low ${p.low} must be below high ${p.high}`);
    if (p.heat) needWrite(["policy", "heat"], p.heat);
    if (p.cool) needWrite(["policy", "cool"], p.cool);
    if (!p.heat && !p.cool) at(["policy"], "a band policy needs `heat`, `cool` or both");
  } else if (p.kind === "rules") {
    p.rules.forEach((r, j) => {
      // the points a condition reads; a condition that does not parse is reported by checkConditions
      for (const id of conditionPoints(r.when)) needRead(["policy", "rules", j, "when"], id);
      Object.keys(r.then).forEach((id) => needWrite(["policy", "rules", j, "then", id], id));
    });
  }
}

function conditionPoints(when: string): string[] {
  try {
    return parseCondition(when).points;
  } catch (err) {
    if (!isLosError(err)) throw err;
    return [];
  }
}

/** Parse every rule's `when:` as the runtime will, so a syntax error is a config error with its line. */
function checkConditions(config: GatewayConfig, problems: SchemaProblem[]): void {
  config.agents?.forEach((a, i) => {
    if (a.policy?.kind !== "rules") return;
    a.policy.rules.forEach((r, j) => {
      try {
        parseCondition(r.when);
      } catch (err) {
        if (!isLosError(err)) throw err;
        problems.push({ path: ["agents", i, "policy", "rules", j, "when"], message: err.message });
      }
    });
  });
}

function checkReferences(config: GatewayConfig, devices: LoadedDevice[], problems: SchemaProblem[]): void {
  const tenants = checkUnique(config.tenants, "tenants", problems);
  checkUnique(config.devices, "devices", problems);
  checkUnique(config.agents, "agents", problems);
  const needTenant = (path: (string | number)[], t: string | undefined) => {
    if (t !== undefined && !tenants.has(t)) problems.push({ path, message: `no tenant "${t}" in tenants` });
  };
  config.devices.forEach((d, i) => needTenant(["devices", i, "tenant"], d.tenant));
  config.agents?.forEach((a, i) => needTenant(["agents", i, "tenant"], a.tenant));
  config.bus.users?.forEach((u, i) => {
    needTenant(["bus", "users", i, "tenant"], u.tenant);
    if (u.role === "tenant" && !u.tenant) problems.push({ path: ["bus", "users", i, "tenant"], message: "a tenant user needs `tenant`" });
  });
  applyDeviceOwners(config, devices, problems);
  checkTenantsAndManifests(config, devices, problems);
  const byId = new Map(devices.map((d) => [d.id, d]));
  devices.forEach((d) => {
    const i = config.devices.findIndex((c) => c.id === d.id);
    d.profile.points.forEach((p) =>
      p.envelope?.interlocks?.forEach((lock) => {
        if (lock.point.includes("/") && !pointExists(byId, lock.point)) {
          problems.push({ path: ["devices", i, "profile"], message: `interlock of "${p.name}" refers to missing point "${lock.point}"` });
        }
      }),
    );
  });
  config.agents?.forEach((a, i) => checkAgent(a, i, byId, problems));
  checkConnections(config, problems);
  checkProtocols(devices, config, problems);
}

export function loadConfig(file: string): LoadedConfig {
  const path = isAbsolute(file) ? file : resolve(file);
  return resolveConfig(readYamlFile(path, "LOS_E_CONFIG_NOT_FOUND", "LOS_E_CONFIG_PARSE"), dirname(path));
}

/** The same checks for a config built in code (tests, the demo); relative paths resolve from `dir`. */
export function loadConfigValue(value: unknown, dir: string, label = "<inline config>"): LoadedConfig {
  return resolveConfig({ file: label, value, locate: () => undefined }, dir);
}

function resolveConfig(yaml: YamlFile, dir: string): LoadedConfig {
  const schemaProblems = validateSchema(GatewayConfig, yaml.value);
  if (schemaProblems.length > 0) throw problemsError("LOS_E_CONFIG_INVALID", yaml, schemaProblems);
  const config = yaml.value as GatewayConfig;
  const problems: SchemaProblem[] = [];
  const devices = loadDevices(config, dir, problems);
  if (problems.length === 0) checkReferences(config, devices, problems);
  checkConditions(config, problems);
  if (problems.length > 0) throw problemsError("LOS_E_CONFIG_INVALID", yaml, problems);
  return { file: yaml.file, dir, dataDir: resolve(dir, config.dataDir), config, devices };
}
