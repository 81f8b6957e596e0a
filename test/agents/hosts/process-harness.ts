/**
 * Starts one real process agent (child process, permission model, bubblewrap, cgroup) from the
 * probe fixture and records what reaches the gateway side: publications, logs, heartbeats, exits.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { systemClock } from "../../../src/core/clock.js";
import { silentLogger, type Value } from "../../../src/core/types.js";
import type { AgentConfig } from "../../../src/config/agent-schema.js";
import { resolveManifest } from "../../../src/config/agent-manifest.js";
import type { SandboxConfig } from "../../../src/config/sandbox-schema.js";
import type { AgentExit, AgentUsage, LogLevel } from "../../../src/agents/hosts/agent-host.js";
import { processHostFactory, type ProcessHost } from "../../../src/agents/hosts/process-host.js";
import type { CpuOver } from "../../../src/agents/isolation/cpu-share.js";

export const FIXTURES = fileURLToPath(new URL("../../fixtures/", import.meta.url));
export const PROBE = join(FIXTURES, "agents", "process-probe.ts");

export async function waitFor(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface Probe {
  host: ProcessHost;
  dataDir: string;
  published: { subtopic: string; payload: Record<string, unknown> }[];
  logs: { level: LogLevel; obj: Record<string, unknown>; msg: string | undefined }[];
  heartbeats: Partial<AgentUsage>[];
  exits: AgentExit[];
  /** CPU-share events: the agent went over its share */
  cpuOver: CpuOver[];
  actuations: { point: string; value: Value; reason: string }[];
  /** the probe's report on `probe` */
  outcome(): Promise<Record<string, unknown>>;
  cleanup(): Promise<void>;
}

export function probeAgent(settings: Record<string, unknown>, extra: Partial<AgentConfig> = {}, sandbox: SandboxConfig = {}): Probe {
  const dataDir = mkdtempSync(join(tmpdir(), "los-process-"));
  const config: AgentConfig = {
    id: "probe",
    tenant: "t1",
    capabilities: { publish: ["probe"] },
    isolation: "process",
    limits: { heapMB: 32 },
    policy: { kind: "module", file: PROBE, options: settings },
    ...extra,
  };
  const p: Omit<Probe, "host"> = {
    dataDir,
    published: [],
    logs: [],
    heartbeats: [],
    exits: [],
    cpuOver: [],
    actuations: [],
    async outcome() {
      await waitFor(() => p.published.length > 0, "the probe's report");
      return p.published[0]!.payload;
    },
    async cleanup() {
      await host.stop(2000);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  const host = processHostFactory({ logger: silentLogger, sandbox })({
    manifest: resolveManifest(config),
    configDir: FIXTURES,
    dataDir,
    clock: systemClock,
    logger: silentLogger,
    calls: {
      actuate: async (point, value, reason) => {
        p.actuations.push({ point, value, reason });
        return { ok: true, auditId: p.actuations.length, point, value };
      },
      publish: async (subtopic, payload) => void p.published.push({ subtopic, payload: payload as Record<string, unknown> }),
      log: (level, obj, msg) => void p.logs.push({ level, obj: obj as Record<string, unknown>, msg }),
      coordinate: async () => ({ ok: false, code: "LOS_E_REQUEST_INVALID", message: "no task layer in this test" }),
    },
    events: { heartbeat: (u) => void p.heartbeats.push(u), exited: (r) => void p.exits.push(r), cpuOver: (o) => void p.cpuOver.push(o) },
  }) as ProcessHost;
  return Object.assign(p, { host });
}
