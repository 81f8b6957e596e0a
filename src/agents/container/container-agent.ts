/**
 * A container agent as the spec generators see it: its manifest with defaults filled, the names the
 * image, pod and labels use, and the gateway URL it connects to. Every generator works from this, so
 * the Dockerfile, the OCI image config and the Kubernetes objects agree on paths, user and limits.
 */
import { createHash } from "node:crypto";
import { isAbsolute, resolve } from "node:path";
import { resolveManifest, type ResolvedManifest } from "../../config/agent-manifest.js";
import type { LoadedConfig } from "../../config/load.js";
import { LosError } from "../../core/errors.js";
import { VERSION } from "../../version.js";

export const DEFAULT_BASE_IMAGE = "node:22-bookworm-slim";
/** the password variable in the image when the manifest names none (the gateway's copy is a file) */
export const DEFAULT_PASSWORD_ENV = "LOS_AGENT_PASSWORD";
/** uid:gid the agent runs as; numeric so runAsNonRoot can check it without a passwd entry */
export const AGENT_UID = 10001;
export const APP_DIR = "/app";
export const AGENT_DIR = "/app/agent";
export const CONFIG_PATH = "/app/agent/gateway.yaml";
/** writable mounts over the read-only root: the agent's data dir and /tmp (tsx's compile cache) */
export const DATA_DIR = "/app/agent/data";
/**
 * Memory over the V8 heap limit for the rest of a Node process: code, young generation, buffers.
 * Measured on x64 Node 20: `node -e 1` 40 MB RSS, the CLI after loading a config 60 MB, the whole
 * package plus mqtt 87 MB; 96 MiB over heapMB keeps the runner clear of the cgroup OOM killer.
 */
export const MEMORY_HEADROOM_MIB = 96;
/** CPU requested when limits.cpuPercent is not set (no CPU limit then) */
export const DEFAULT_CPU_REQUEST_MILLI = 50;

export interface GatewayUrl {
  url: string;
  host: string;
  port: number;
}

export interface ContainerAgent {
  manifest: ResolvedManifest;
  id: string;
  tenant: string | undefined;
  site: string;
  gateway: string;
  /** a DNS-1123 label made from the id: pod, secret and image names, label values */
  name: string;
  image: string;
  baseImage: string;
  gatewayUrl: GatewayUrl;
  passwordEnv: string;
  /** the Kubernetes Secret holding the agent's MQTT password under key `password` */
  secretName: string;
  /** true: the image runs the manifest's policy with `llmagentos run-agent`; false: it brings its own image */
  runsPolicy: boolean;
  /** absolute path of a module policy's file, copied into the image */
  moduleFile: string | undefined;
  version: string;
}

/**
 * A DNS-1123 label from an agent id (ids allow upper case and `_`). When the id had to change, a
 * short hash of the original keeps two ids that differ only in case or `_`/`-` apart.
 */
export function dnsName(id: string): string {
  const clean = id.toLowerCase().replace(/_/g, "-").replace(/-+/g, "-").replace(/^-|-$/g, "") || "agent";
  if (clean === id && id.length <= 63) return id;
  const hash = createHash("sha256").update(id).digest("hex").slice(0, 6);
  return `${clean.slice(0, 56).replace(/-$/, "")}-${hash}`;
}

const WILDCARD_HOSTS = new Set(["0.0.0.0", "::", "[::]"]);
const LOOPBACK = /^(127\.|localhost$|::1$|\[::1\]$)/;

export function parseGatewayUrl(text: string): GatewayUrl {
  let u: URL;
  try {
    u = new URL(text);
  } catch (cause) {
    throw new LosError("LOS_E_USAGE", `--gateway-url ${JSON.stringify(text)} is not a URL; expected mqtt://host:port`, { cause });
  }
  if (u.protocol !== "mqtt:" && u.protocol !== "mqtts:") {
    throw new LosError("LOS_E_USAGE", `--gateway-url must start with mqtt:// or mqtts://, got ${JSON.stringify(text)}`);
  }
  if (u.hostname === "") throw new LosError("LOS_E_USAGE", `--gateway-url ${JSON.stringify(text)} has no host`);
  const port = u.port === "" ? (u.protocol === "mqtts:" ? 8883 : 1883) : Number(u.port);
  // an IPv6 hostname keeps its brackets in the URL, not in `host`
  return { url: `${u.protocol}//${u.hostname}:${port}`, host: u.hostname.replace(/^\[|\]$/g, ""), port };
}

/** The broker address a pod can reach: a TCP listener bound to a routable host with a fixed port. */
function gatewayUrlFromConfig(loaded: LoadedConfig): GatewayUrl {
  const usable = loaded.config.bus.listeners.find((l) => l.kind === "tcp" && l.port !== 0 && !WILDCARD_HOSTS.has(l.host) && !LOOPBACK.test(l.host));
  if (!usable) {
    throw new LosError(
      "LOS_E_USAGE",
      "no MQTT tcp listener in the config has an address a container can reach (loopback, 0.0.0.0 or port 0); pass --gateway-url mqtt://<gateway address>:<port>",
    );
  }
  return parseGatewayUrl(`mqtt://${usable.host.includes(":") ? `[${usable.host}]` : usable.host}:${usable.port}`);
}

export interface ContainerAgentOptions {
  /** overrides the URL derived from the config's listeners */
  gatewayUrl?: string;
}

export function resolveContainerAgent(loaded: LoadedConfig, id: string, opts: ContainerAgentOptions = {}): ContainerAgent {
  const cfg = loaded.config.agents?.find((a) => a.id === id);
  if (!cfg) {
    const known = (loaded.config.agents ?? []).map((a) => a.id);
    throw new LosError("LOS_E_AGENT_UNKNOWN", `no agent "${id}" in ${loaded.file}${known.length ? ` (agents: ${known.join(", ")})` : " (it has no agents)"}`);
  }
  const manifest = resolveManifest(cfg);
  if (manifest.isolation !== "container") {
    throw new LosError(
      "LOS_E_AGENT_CONFIG",
      `agent "${id}" has isolation ${manifest.isolation}; container specs are generated only for agents with \`isolation: container\` (set it in the agent's manifest)`,
    );
  }
  const name = dnsName(id);
  const policy = cfg.policy;
  const moduleFile = policy?.kind === "module" ? (isAbsolute(policy.file) ? policy.file : resolve(loaded.dir, policy.file)) : undefined;
  return {
    manifest,
    id,
    tenant: cfg.tenant,
    site: loaded.config.site,
    gateway: loaded.config.gateway,
    name,
    image: cfg.container?.image ?? `llmagentos-agent-${name}:${VERSION}`,
    baseImage: cfg.container?.baseImage ?? DEFAULT_BASE_IMAGE,
    gatewayUrl: opts.gatewayUrl !== undefined ? parseGatewayUrl(opts.gatewayUrl) : gatewayUrlFromConfig(loaded),
    passwordEnv: cfg.passwordEnv ?? DEFAULT_PASSWORD_ENV,
    secretName: `llmagentos-agent-${name}`,
    runsPolicy: policy !== undefined,
    moduleFile,
    version: VERSION,
  };
}

/** `node … run-agent <id> --config …`: the image's entrypoint (exec form: no shell at run time). */
export function entrypointOf(a: ContainerAgent): string[] {
  return ["node", `${APP_DIR}/node_modules/llmagentos/bin/llmagentos.mjs`, "run-agent", a.id, "--config", CONFIG_PATH];
}

/** The default arguments (Dockerfile CMD); a pod's `args` replaces them to point at another gateway. */
export function cmdOf(a: ContainerAgent): string[] {
  return ["--url", a.gatewayUrl.url];
}

/** Environment the image sets; the base image's own (PATH, NODE_VERSION) comes first at build time. */
export function envOf(a: ContainerAgent): Record<string, string> {
  return {
    NODE_ENV: "production",
    // the package ships compiled JavaScript; never fall back to compiling src/ at start
    LLMAGENTOS_RUNTIME: "dist",
    NODE_OPTIONS: `--max-old-space-size=${a.manifest.limits.heapMB}`,
  };
}

/** Labels shared by the image and the Kubernetes objects (Kubernetes label values: ≤ 63, [A-Za-z0-9_.-]). */
export function labelsOf(a: ContainerAgent): Record<string, string> {
  const labels: Record<string, string> = {
    "app.kubernetes.io/name": "llmagentos-agent",
    "app.kubernetes.io/instance": a.name,
    "app.kubernetes.io/part-of": "llmagentos",
    "app.kubernetes.io/version": a.version,
    "llmagentos.io/agent": a.name,
    "llmagentos.io/site": dnsName(a.site),
    "llmagentos.io/gateway": dnsName(a.gateway),
  };
  if (a.tenant !== undefined) labels["llmagentos.io/tenant"] = dnsName(a.tenant);
  return labels;
}
