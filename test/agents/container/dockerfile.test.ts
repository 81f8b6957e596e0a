import { describe, expect, it } from "vitest";
import { resolveContainerAgent } from "../../../src/agents/container/container-agent.js";
import { dockerfileOf } from "../../../src/agents/container/dockerfile.js";
import { podOf } from "../../../src/agents/container/k8s-spec.js";
import { agentSpecSet } from "../../../src/agents/container/spec-set.js";
import { lintDockerfile } from "./dockerfile-lint.js";
import { containerConfig } from "./helpers.js";

describe("Dockerfile of a container agent", () => {
  const loaded = containerConfig();
  const set = agentSpecSet(loaded, "Vent_Ctl", { format: "dockerfile", platform: { os: "linux", architecture: "arm64" } });
  const text = String(set.files.get("Dockerfile"));

  it("passes the lint: one exec-form ENTRYPOINT, non-root USER, tagged bases, no ADD, every COPY source in the context", () => {
    const lint = lintDockerfile(text, new Set(set.files.keys()));
    expect(lint.problems).toEqual([]);
    expect(lint.user).toBe("10001:10001");
    // the image runs what the pod expects: run-agent for this id, the pod's args as CMD
    expect(lint.entrypoint).toEqual(["node", "/app/node_modules/llmagentos/bin/llmagentos.mjs", "run-agent", "Vent_Ctl", "--config", "/app/agent/gateway.yaml"]);
    expect(lint.cmd).toEqual((podOf(set.agent) as { spec: { containers: { args: string[] }[] } }).spec.containers[0]!.args);
  });

  it("builds from container.baseImage in both stages and installs with npm ci against the lockfile", () => {
    expect(text.match(/^FROM .*/gm)).toEqual(["FROM node:22.12-bookworm-slim AS install", "FROM node:22.12-bookworm-slim"]);
    expect(text).toContain('RUN ["npm","ci","--omit=dev","--no-audit","--no-fund"]');
    expect(text).toContain("COPY package.json package-lock.json ./");
    expect(text).toContain("HEALTHCHECK NONE");
  });

  it("without llmagentos's lockfile it says so and installs with npm install (still lint-clean)", () => {
    const unlocked = agentSpecSet(loaded, "Vent_Ctl", { format: "dockerfile", platform: { os: "linux", architecture: "arm64" }, lockfile: null });
    expect(unlocked.files.has("package-lock.json")).toBe(false);
    expect(unlocked.notes.join("\n")).toMatch(/lockfile is not available/);
    const d = String(unlocked.files.get("Dockerfile"));
    expect(d).toContain('"npm","install","--omit=dev"');
    expect(lintDockerfile(d, new Set(unlocked.files.keys())).problems).toEqual([]);
  });

  it("the default base image is node:22-bookworm-slim", () => {
    const a = resolveContainerAgent(loaded, "band");
    expect(dockerfileOf(a, { locked: true })).toContain("FROM node:22-bookworm-slim AS install");
  });

  it("the lint catches what it is for: root, URL ADD, two ENTRYPOINTs, shell form, missing sources, untagged base", () => {
    const bad = [
      "FROM node",
      "ADD https://example.invalid/agent.tgz /app/",
      "COPY missing/ ./",
      "RUN npm ci",
      "USER root",
      "ENTRYPOINT node agent.js",
      'ENTRYPOINT ["node"]',
      "",
    ].join("\n");
    const problems = lintDockerfile(bad, new Set(["Dockerfile"])).problems.join("\n");
    expect(problems).toMatch(/FROM node: no tag or digest/);
    expect(problems).toMatch(/ADD of a URL/);
    expect(problems).toMatch(/COPY missing\/: not in the build context/);
    expect(problems).toMatch(/RUN in shell form/);
    expect(problems).toMatch(/USER root is root/);
    expect(problems).toMatch(/exactly one ENTRYPOINT, found 2/);
    expect(problems).toMatch(/ENTRYPOINT is in shell form/);
    expect(problems).toMatch(/HEALTHCHECK/);
  });
});
