import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { Pod } from "kubernetes-models/v1/Pod";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { createAgentFromConfig } from "../../../src/agents/from-config.js";
import { loadConfig } from "../../../src/config/load.js";
import { DEMO_SPEC_DIR, demoSpecFiles } from "../../../deploy/agents/generate.js";
import { lintDockerfile } from "./dockerfile-lint.js";
import { SchemaChecker } from "./json-schema-check.js";
import { SCHEMAS } from "./helpers.js";

const REGENERATE = "regenerate with: npx tsx deploy/agents/generate.ts";

describe("deploy/agents: the checked-in example specs", () => {
  const expected = demoSpecFiles();

  it("are up to date with the generator and the demo config", () => {
    const present = readdirSync(DEMO_SPEC_DIR, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(DEMO_SPEC_DIR.length + 1))
      .sort();
    expect(present, REGENERATE).toEqual([...expected.keys()].sort());
    for (const [path, content] of expected) {
      expect(readFileSync(join(DEMO_SPEC_DIR, path)).equals(Buffer.from(content)), `${path} is stale; ${REGENERATE}`).toBe(true);
    }
  });

  it("validate: Dockerfile lint, OCI schema (less rootfs), Kubernetes schemas", () => {
    const ventFiles = new Set([...expected.keys()].filter((p) => p.startsWith("vent/")).map((p) => p.slice("vent/".length)));
    expect(lintDockerfile(String(expected.get("vent/Dockerfile")), ventFiles).problems).toEqual([]);
    const image = JSON.parse(String(expected.get("vent/image-config.json"))) as object;
    expect(new SchemaChecker(join(SCHEMAS, "oci")).check("config-schema.json", image)).toEqual([{ path: "/", message: "must have property rootfs" }]);
    for (const id of ["vent", "py-vent"]) {
      for (const doc of parseAllDocuments(String(expected.get(`${id}/k8s.yaml`)))) {
        const o = doc.toJS() as { kind?: string } | null;
        if (o === null) continue;
        if (o.kind === "Pod") new Pod(o as ConstructorParameters<typeof Pod>[0]).validate();
        else new NetworkPolicy(o as ConstructorParameters<typeof NetworkPolicy>[0]).validate();
      }
    }
  });

  it("the image's config and module load as run-agent loads them: the vent agent is built from the copied file", async () => {
    const agentDir = join(DEMO_SPEC_DIR, "vent/agent");
    const sub = loadConfig(join(agentDir, "gateway.yaml"));
    const agent = await createAgentFromConfig(sub.config.agents![0]!, agentDir);
    expect(agent.id).toBe("vent");
    expect(existsSync(join(DEMO_SPEC_DIR, "py-vent/Dockerfile"))).toBe(false); // brings its own image
  });
});
