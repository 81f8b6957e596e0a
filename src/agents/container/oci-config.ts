/**
 * The image configuration of a container agent, as in the OCI image spec's
 * `application/vnd.oci.image.config.v1+json`: platform, user, environment, entrypoint, working dir,
 * labels. `rootfs` (the diff_ids: sha256 of each uncompressed layer) and `history` exist only once an
 * image is built, so they are left out rather than faked: a builder adds them (docs/containers.md).
 */
import { APP_DIR, AGENT_UID, cmdOf, entrypointOf, envOf, labelsOf, type ContainerAgent } from "./container-agent.js";

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** `linux/arm64`, `linux/amd64`, `linux/arm/v7` → OCI platform fields (GOARCH names, as the spec asks). */
export function parsePlatform(text: string): Platform | undefined {
  const m = /^(linux)\/(amd64|arm64|arm|386|ppc64le|s390x|riscv64)(?:\/(v[5-8]))?$/.exec(text);
  if (!m) return undefined;
  const p: Platform = { os: m[1]!, architecture: m[2]! };
  if (m[3] !== undefined) p.variant = m[3];
  return p;
}

/** OCI pre-defined annotation keys used as labels, plus the agent's own. */
export function imageLabelsOf(a: ContainerAgent): Record<string, string> {
  return {
    "org.opencontainers.image.title": `llmagentos agent ${a.id}`,
    "org.opencontainers.image.version": a.version,
    "org.opencontainers.image.licenses": "Apache-2.0",
    "org.opencontainers.image.base.name": a.baseImage,
    ...labelsOf(a),
  };
}

export function ociImageConfigOf(a: ContainerAgent, platform: Platform): Record<string, unknown> {
  return {
    ...platform,
    config: {
      User: `${AGENT_UID}:${AGENT_UID}`,
      Env: Object.entries(envOf(a)).map(([k, v]) => `${k}=${v}`),
      Entrypoint: entrypointOf(a),
      Cmd: cmdOf(a),
      WorkingDir: APP_DIR,
      Labels: imageLabelsOf(a),
      StopSignal: "SIGTERM",
    },
  };
}
