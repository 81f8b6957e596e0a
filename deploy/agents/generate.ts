/**
 * Regenerates the checked-in example specs under demo/spec/ from demo/gateway.yaml, as
 * `llmagentos agents spec <id> --format all --gateway-url mqtt://10.0.0.2:1883` writes them (10.0.0.2
 * stands for the gateway box's LAN address). test/agents/container/deploy-example.test.ts fails when
 * they are out of date. Run: npx tsx deploy/agents/generate.ts
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { agentSpecSet } from "../../src/agents/container/spec-set.js";
import { loadConfig } from "../../src/config/load.js";

const here = dirname(fileURLToPath(import.meta.url));
export const DEMO_CONFIG = join(here, "demo/gateway.yaml");
export const DEMO_SPEC_DIR = join(here, "demo/spec");
export const DEMO_AGENTS = ["vent", "py-vent"];
export const DEMO_GATEWAY_URL = "mqtt://10.0.0.2:1883";

/** Every file of the demo specs: path under demo/spec/ → content. */
export function demoSpecFiles(): Map<string, string | Buffer> {
  const loaded = loadConfig(DEMO_CONFIG);
  const files = new Map<string, string | Buffer>();
  for (const id of DEMO_AGENTS) {
    const set = agentSpecSet(loaded, id, { format: "all", platform: { os: "linux", architecture: "arm64" }, gatewayUrl: DEMO_GATEWAY_URL });
    for (const [path, content] of set.files) files.set(`${id}/${path}`, content);
  }
  return files;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  rmSync(DEMO_SPEC_DIR, { recursive: true, force: true });
  for (const [path, content] of demoSpecFiles()) {
    const file = join(DEMO_SPEC_DIR, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    process.stdout.write(`wrote ${file}\n`);
  }
}
