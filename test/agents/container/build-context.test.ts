import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { localImports } from "../../../src/agents/container/config-subset.js";
import { dnsName, parseGatewayUrl, resolveContainerAgent } from "../../../src/agents/container/container-agent.js";
import { agentSpecSet } from "../../../src/agents/container/spec-set.js";
import { loadConfig } from "../../../src/config/load.js";
import { VERSION } from "../../../src/version.js";
import { catchLos, tempDir } from "../../config/helpers.js";
import { REPO_ROOT } from "../../gateway/helpers.js";
import { containerConfig } from "./helpers.js";

type Lock = { packages: Record<string, Record<string, unknown>> };
const ARM64 = { os: "linux", architecture: "arm64" };
const tmp = tempDir("los-ctx-");
afterAll(() => tmp.cleanup());

describe("Docker build context of a container agent", () => {
  const set = agentSpecSet(containerConfig(), "Vent_Ctl", { format: "dockerfile", platform: ARM64 });

  it("has the Dockerfile, package files, the config subset, the module and the custom profile", () => {
    expect([...set.files.keys()].sort()).toEqual(
      ["Dockerfile", "agent/gateway.yaml", "agent/profiles/clim.yaml", "agent/threshold-agent.ts", "package-lock.json", "package.json"].sort(),
    );
  });

  it("the config subset loads as a gateway config holding only this agent, its tenant and the devices it touches", () => {
    const dir = join(tmp.dir, "ctx");
    for (const [path, content] of set.files) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    const sub = loadConfig(join(dir, "agent/gateway.yaml"));
    expect(sub.config.agents?.map((a) => a.id)).toEqual(["Vent_Ctl"]);
    expect(sub.devices.map((d) => d.id)).toEqual(["gh1", "clim"]); // not another tenant's, not untouched ones
    expect(sub.config.tenants).toEqual([{ id: "growers" }]); // no users, quotas or grants of the gateway
    expect(sub.config.bus.users).toBeUndefined();
    const agent = sub.config.agents![0]!;
    expect(agent.passwordEnv).toBe("LOS_AGENT_PASSWORD");
    expect(agent.policy).toMatchObject({ kind: "module", file: "./threshold-agent.ts" });
    expect(readFileSync(join(dir, "agent/threshold-agent.ts"), "utf8")).toContain("createAgent");
    expect(sub.devices.find((d) => d.id === "clim")?.profileFile).toBe(join(dir, "agent/profiles/clim.yaml"));
  });

  it("warns that a module's relative imports are not copied", () => {
    expect(set.notes.join("\n")).toMatch(/threshold-agent\.ts imports \.\.\/\.\.\/\.\.\/\.\.\/src\/agents\/agent\.js/);
    expect(localImports('import a from "llmagentos";\nimport { b } from "./b.js";\nawait import("../c.js");')).toEqual(["./b.js", "../c.js"]);
  });

  it("package.json pins llmagentos exactly; the lockfile is llmagentos's tested tree without dev packages", () => {
    const pkg = JSON.parse(String(set.files.get("package.json"))) as { dependencies: Record<string, string> };
    expect(pkg.dependencies).toEqual({ llmagentos: VERSION });
    const lock = JSON.parse(String(set.files.get("package-lock.json"))) as Lock;
    const own = JSON.parse(readFileSync(join(REPO_ROOT, "package-lock.json"), "utf8")) as Lock;
    expect(lock.packages[""]).toMatchObject({ dependencies: { llmagentos: VERSION } });
    expect(lock.packages["node_modules/llmagentos"]).toMatchObject({ version: VERSION, dependencies: own.packages[""]!.dependencies });
    for (const dev of ["node_modules/vitest", "node_modules/eslint", "node_modules/kubernetes-models", "node_modules/typescript"]) {
      expect(lock.packages[dev]).toBeUndefined();
    }
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path === "" || path === "node_modules/llmagentos") continue;
      expect(own.packages[path]?.version).toBe(entry.version);
      expect(own.packages[path]?.integrity).toBe(entry.integrity);
      expect(entry.dev).toBeUndefined();
    }
    // every runtime dependency of llmagentos is in the tree, where node resolves it from node_modules/llmagentos
    for (const name of Object.keys(own.packages[""]!.dependencies as object)) expect(lock.packages[`node_modules/${name}`], name).toBeDefined();
  });
});

describe("which agents get specs", () => {
  const loaded = containerConfig();

  it("unknown id → LOS_E_AGENT_UNKNOWN naming the agents there are", () => {
    const e = catchLos(() => agentSpecSet(loaded, "nope", { format: "k8s", platform: ARM64 }));
    expect(e.code).toBe("LOS_E_AGENT_UNKNOWN");
    expect(e.message).toMatch(/Vent_Ctl, py-vent, band, worker-agent/);
  });

  it("an agent that is not isolation: container → LOS_E_AGENT_CONFIG with advice", () => {
    const e = catchLos(() => agentSpecSet(loaded, "worker-agent", { format: "all", platform: ARM64 }));
    expect(e.code).toBe("LOS_E_AGENT_CONFIG");
    expect(e.message).toMatch(/isolation worker.*isolation: container/);
  });

  it("a container agent without a policy has no generated image: dockerfile and oci are refused", () => {
    for (const format of ["dockerfile", "oci"] as const) {
      const e = catchLos(() => agentSpecSet(loaded, "py-vent", { format, platform: ARM64 }));
      expect(e.code).toBe("LOS_E_AGENT_CONFIG");
      expect(e.message).toMatch(/brings its own code and image/);
    }
  });

  it("the gateway URL: a routable tcp listener, else --gateway-url is required", () => {
    const only = containerConfig();
    only.config.bus.listeners = [{ kind: "tcp", host: "0.0.0.0", port: 1883 }];
    expect(catchLos(() => resolveContainerAgent(only, "band")).message).toMatch(/--gateway-url/);
    expect(resolveContainerAgent(only, "band", { gatewayUrl: "mqtt://gw.local" }).gatewayUrl).toEqual({ url: "mqtt://gw.local:1883", host: "gw.local", port: 1883 });
    expect(parseGatewayUrl("mqtts://[fd00::5]:9883")).toEqual({ url: "mqtts://[fd00::5]:9883", host: "fd00::5", port: 9883 });
    expect(catchLos(() => parseGatewayUrl("http://gw:80")).code).toBe("LOS_E_USAGE");
  });

  it("names: DNS-1123 from any agent id, with a hash when the id had to change", () => {
    expect(dnsName("band")).toBe("band");
    expect(dnsName("Vent_Ctl")).toMatch(/^vent-ctl-[0-9a-f]{6}$/);
    expect(dnsName("Vent_Ctl")).not.toBe(dnsName("vent-ctl"));
    expect(dnsName("x".repeat(64))).toHaveLength(63);
    expect(dnsName("x".repeat(64))).not.toBe(dnsName(`${"x".repeat(63)}y`));
  });
});
