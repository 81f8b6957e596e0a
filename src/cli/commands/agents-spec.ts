/**
 * `llmagentos agents spec <id>`: the container specs of an agent with `isolation: container`
 * (docs/containers.md). Added to the `agents` command by its owner; the generators load only when
 * the command runs.
 */
import { Option, type Command } from "commander";
import { DEFAULT_CONFIG } from "../data-options.js";

interface SpecCliOptions {
  config: string;
  format: "dockerfile" | "oci" | "k8s" | "all";
  out?: string;
  gatewayUrl?: string;
  platform: string;
}

export function agentsSpecCommand(agents: Command): void {
  agents
    .command("spec")
    .description("generate the Dockerfile and build context, OCI image config and Kubernetes Pod + NetworkPolicy of a container agent")
    .argument("<id>", "agent id (its manifest must say isolation: container)")
    .option("-c, --config <file>", "gateway config file (env LOS_CONFIG)", DEFAULT_CONFIG)
    .addOption(new Option("-f, --format <format>", "what to generate").choices(["dockerfile", "oci", "k8s", "all"]).default("all"))
    .option("-o, --out <dir>", "write the files into this folder (needed for the Docker build context and --format all)")
    .option("--gateway-url <url>", "MQTT URL the container connects to (default: the config's tcp listener with a routable address)")
    .option("--platform <os/arch>", "image platform, e.g. linux/arm64, linux/amd64, linux/arm/v7", "linux/arm64")
    .action(async (id: string, opts: SpecCliOptions) => {
      const { LosError } = await import("../../core/errors.js");
      const { parsePlatform } = await import("../../agents/container/oci-config.js");
      const platform = parsePlatform(opts.platform);
      if (!platform) throw new LosError("LOS_E_USAGE", `--platform ${JSON.stringify(opts.platform)} is not one of linux/<amd64|arm64|arm|386|ppc64le|s390x|riscv64>[/v5-v8]`);
      if (opts.format === "all" && opts.out === undefined) throw new LosError("LOS_E_USAGE", "--format all writes several files: pass --out <dir>");
      const { loadConfig } = await import("../../config/load.js");
      const { agentSpecSet } = await import("../../agents/container/spec-set.js");
      const set = agentSpecSet(loadConfig(opts.config), id, {
        format: opts.format,
        platform,
        ...(opts.gatewayUrl !== undefined ? { gatewayUrl: opts.gatewayUrl } : {}),
      });
      for (const note of set.notes) process.stderr.write(`note: ${note}\n`);
      if (opts.out === undefined) {
        const main = ({ dockerfile: "Dockerfile", oci: "image-config.json", k8s: "k8s.yaml" } as const)[opts.format as "dockerfile" | "oci" | "k8s"];
        if (opts.format === "dockerfile") process.stderr.write("note: the Dockerfile's build context (package.json, package-lock.json, agent/) is written only with --out\n");
        process.stdout.write(String(set.files.get(main)));
        return;
      }
      const { mkdirSync, writeFileSync } = await import("node:fs");
      const { dirname, join } = await import("node:path");
      const out = opts.out;
      for (const [path, content] of set.files) {
        const file = join(out, path);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, content);
        process.stdout.write(`wrote ${file}\n`);
      }
    });
}
