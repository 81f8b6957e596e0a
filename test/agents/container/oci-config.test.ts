import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parsePlatform } from "../../../src/agents/container/oci-config.js";
import { agentSpecSet } from "../../../src/agents/container/spec-set.js";
import { tempDir } from "../../config/helpers.js";
import { containerConfig, SCHEMAS } from "./helpers.js";
import { SchemaChecker } from "./json-schema-check.js";

const oci = new SchemaChecker(join(SCHEMAS, "oci"));
const tmp = tempDir("los-oci-");
afterAll(() => tmp.cleanup());

describe("OCI image config of a container agent", () => {
  const set = agentSpecSet(containerConfig(), "Vent_Ctl", { format: "all", platform: { os: "linux", architecture: "arm", variant: "v7" } });
  const config = JSON.parse(String(set.files.get("image-config.json"))) as Record<string, unknown>;

  it("holds the fields a builder consumes and leaves rootfs to the build (the only schema error is the missing rootfs)", () => {
    expect(config).toMatchObject({ os: "linux", architecture: "arm", variant: "v7" });
    expect(oci.check("config-schema.json", config)).toEqual([{ path: "/", message: "must have property rootfs" }]);
  });

  it("completed as a builder does (rootfs diff_id = sha256 of an uncompressed layer tar), it passes the OCI schema", () => {
    // a real layer: the agent/ folder of the build context, tarred as a builder would add it
    for (const [path, content] of set.files) {
      const file = join(tmp.dir, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
    }
    const layer = execFileSync("tar", ["-cf", "-", "-C", tmp.dir, "agent"]);
    const diffId = `sha256:${createHash("sha256").update(layer).digest("hex")}`;
    const built = {
      ...config,
      created: "2026-01-02T03:04:05Z",
      rootfs: { type: "layers", diff_ids: [diffId] },
      history: [{ created: "2026-01-02T03:04:05Z", created_by: "COPY agent/ ./agent/" }],
    };
    expect(oci.check("config-schema.json", built)).toEqual([]);
  });

  it("agrees with the Dockerfile and the pod: user, entrypoint, cmd, working dir, heap", () => {
    const c = config.config as Record<string, unknown>;
    expect(c.User).toBe("10001:10001");
    expect(c.WorkingDir).toBe("/app");
    expect(c.Entrypoint).toEqual(["node", "/app/node_modules/llmagentos/bin/llmagentos.mjs", "run-agent", "Vent_Ctl", "--config", "/app/agent/gateway.yaml"]);
    expect(c.Cmd).toEqual(["--url", "mqtt://10.20.0.5:1884"]);
    expect(c.Env).toContain("NODE_OPTIONS=--max-old-space-size=48");
    expect(c.Labels).toMatchObject({ "org.opencontainers.image.version": "0.1.0", "llmagentos.io/tenant": "growers" });
  });

  it("the schema check catches wrong types and bad enums", () => {
    const bad = { ...config, config: { ...(config.config as object), Entrypoint: "node agent.js", Labels: { a: 1 } }, rootfs: { type: "tar", diff_ids: [] } };
    const errors = oci.check("config-schema.json", bad).map((e) => `${e.path}: ${e.message}`);
    expect(errors).toContain("/config/Entrypoint: must match exactly one schema in oneOf");
    expect(errors).toContain("/config/Labels: must match exactly one schema in oneOf");
    expect(errors).toContain('/rootfs/type: must be one of ["layers"]');
  });

  it("the checker refuses a schema keyword it does not implement instead of passing it", () => {
    const dir = join(tmp.dir, "schemas");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "s.json"), JSON.stringify({ type: "object", dependencies: { a: ["b"] } }));
    expect(() => new SchemaChecker(dir).check("s.json", {})).toThrow(/dependencies.*not implemented/);
  });

  it("platforms: GOARCH names with an optional variant", () => {
    expect(parsePlatform("linux/arm64")).toEqual({ os: "linux", architecture: "arm64" });
    expect(parsePlatform("linux/arm/v7")).toEqual({ os: "linux", architecture: "arm", variant: "v7" });
    expect(parsePlatform("linux/x86_64")).toBeUndefined();
    expect(parsePlatform("windows/amd64")).toBeUndefined();
  });
});
