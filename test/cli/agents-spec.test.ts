import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { tempDir } from "../config/helpers.js";
import { containerConfigValue } from "../agents/container/helpers.js";
import { runCli } from "./run-cli.js";

const tmp = tempDir("los-spec-cli-");
afterAll(() => tmp.cleanup());
const config = join(tmp.dir, "farm.yaml");
writeFileSync(config, stringify(containerConfigValue()));

describe("llmagentos agents spec", () => {
  it("--help lists the formats and options", async () => {
    const r = await runCli(["agents", "spec", "--help"]);
    expect(r.code).toBe(0);
    for (const s of ["<id>", "--format", "dockerfile", "oci", "k8s", "--out", "--gateway-url", "--platform"]) expect(r.stdout).toContain(s);
  });

  it("--format k8s prints the Pod and NetworkPolicy", async () => {
    const r = await runCli(["agents", "spec", "Vent_Ctl", "--config", config, "--format", "k8s", "--gateway-url", "mqtt://gw.farm:1883"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as { kind: string; spec: Record<string, unknown> } | null).filter((d) => d !== null);
    expect(docs.map((d) => d.kind)).toEqual(["Pod", "NetworkPolicy"]);
    expect(JSON.stringify(docs[0]!.spec)).toContain('"args":["--url","mqtt://gw.farm:1883"]');
  });

  it("--format all --out writes the build context, image config and Kubernetes objects", async () => {
    const out = join(tmp.dir, "out");
    const r = await runCli(["agents", "spec", "Vent_Ctl", "-c", config, "--out", out, "--platform", "linux/amd64"]);
    expect(r.code).toBe(0);
    for (const f of ["Dockerfile", "package.json", "package-lock.json", "agent/gateway.yaml", "agent/threshold-agent.ts", "image-config.json", "k8s.yaml"]) {
      expect(existsSync(join(out, f)), f).toBe(true);
      expect(r.stdout).toContain(`wrote ${join(out, f)}`);
    }
    expect(JSON.parse(readFileSync(join(out, "image-config.json"), "utf8"))).toMatchObject({ os: "linux", architecture: "amd64" });
    expect(r.stderr).toMatch(/note: threshold-agent\.ts imports/);
  });

  it("refuses with coded errors: not a container agent (exit 3), unknown id (exit 1), --format all without --out (exit 2)", async () => {
    const [worker, unknown, noOut] = await Promise.all([
      runCli(["agents", "spec", "worker-agent", "-c", config, "--format", "k8s"]),
      runCli(["agents", "spec", "ghost", "-c", config, "--format", "k8s"]),
      runCli(["agents", "spec", "Vent_Ctl", "-c", config]),
    ]);
    expect(worker.code).toBe(3);
    expect(worker.stderr).toMatch(/LOS_E_AGENT_CONFIG.*isolation: container/);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/LOS_E_AGENT_UNKNOWN.*ghost/);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/LOS_E_USAGE.*--out/);
  });
});
