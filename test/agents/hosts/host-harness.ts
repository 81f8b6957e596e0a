/**
 * What the host tests share: a manifest for a fixture agent in test/fixtures/agents/, and
 * HostOptions whose calls act like the supervisor's (grants checked, refusals coded) while recording
 * everything the agent asked for and every event the host reported.
 */
import { fileURLToPath } from "node:url";
import { systemClock } from "../../../src/core/clock.js";
import { LosError } from "../../../src/core/errors.js";
import { silentLogger, type Reading, type Value } from "../../../src/core/types.js";
import type { AgentConfig, IsolationKind } from "../../../src/config/agent-schema.js";
import { resolveManifest } from "../../../src/config/agent-manifest.js";
import type { CoordinationReply, CoordinationRequest } from "../../../src/core/task-types.js";
import type { ActuationResult } from "../../../src/devices/actuation.js";
import type { CpuOver } from "../../../src/agents/isolation/cpu-share.js";
import type { AgentExit, AgentUsage, HostOptions, LogLevel } from "../../../src/agents/hosts/agent-host.js";

export const FIXTURES = fileURLToPath(new URL("../../fixtures/agents/", import.meta.url));

/** The points every fixture agent is granted: it reads dev/in and may write dev/out. */
export const IN = "dev/in";
export const OUT = "dev/out";

export interface Recorded {
  actuations: { point: string; value: Value; reason: string; ok: boolean }[];
  published: { subtopic: string; payload: unknown }[];
  logs: { level: LogLevel; obj: object; msg: string | undefined }[];
  heartbeats: Partial<AgentUsage>[];
  exits: AgentExit[];
  /** idempotency keys of the actuations, in order (undefined outside task runs) */
  keys: (string | undefined)[];
  coordinated: CoordinationRequest[];
  /** CPU-share events: the agent's thread went over its share */
  cpuOver: CpuOver[];
}

export interface FixtureOptions {
  id?: string;
  settings?: Record<string, unknown>;
  heapMB?: number;
  /** limits.cpuPercent: the share of one core a worker's thread may use before it yields */
  cpuPercent?: number;
  heartbeatMs?: number;
  dataDir?: string;
  /** publications (other than "report") allowed before the calls refuse with LOS_E_AGENT_RATE_LIMITED */
  publishLimit?: number;
}

export function fixtureConfig(kind: IsolationKind, fixture: string, o: FixtureOptions = {}): AgentConfig {
  return {
    id: o.id ?? fixture.replace(/\.[a-z]+$/, ""),
    tenant: "t1",
    isolation: kind,
    capabilities: { read: [IN], write: [OUT], publish: ["echo", "forbidden", "report", "flood"] },
    heartbeatMs: o.heartbeatMs ?? 100,
    limits: { heapMB: o.heapMB ?? 32, ...(o.cpuPercent === undefined ? {} : { cpuPercent: o.cpuPercent }) },
    policy: { kind: "module", file: fixture, options: { input: IN, output: OUT, ...o.settings } },
  };
}

/** HostOptions for a fixture agent, with supervisor-like calls that record what happened. */
export function fixtureOptions(kind: IsolationKind, fixture: string, o: FixtureOptions = {}): { options: HostOptions; rec: Recorded } {
  const rec: Recorded = { actuations: [], published: [], logs: [], heartbeats: [], exits: [], keys: [], coordinated: [], cpuOver: [] };
  const manifest = resolveManifest(fixtureConfig(kind, fixture, o));
  const granted = new Set(manifest.config.capabilities.write ?? []);
  let auditId = 0;
  let flooded = 0;
  const facts = new Map<string, unknown>();
  const options: HostOptions = {
    manifest,
    configDir: FIXTURES,
    dataDir: o.dataDir ?? FIXTURES,
    clock: systemClock,
    logger: silentLogger,
    calls: {
      actuate: async (point, value, reason, key): Promise<ActuationResult> => {
        const ok = granted.has(point);
        rec.actuations.push({ point, value, reason, ok });
        rec.keys.push(key);
        return ok
          ? { ok: true, auditId: ++auditId, point, value }
          : { ok: false, auditId: ++auditId, point, code: "LOS_E_WRITE_NOT_PERMITTED", message: `agent may not write ${point}` };
      },
      publish: async (subtopic, payload) => {
        if (subtopic === "forbidden") throw new LosError("LOS_E_PUBLISH_NOT_PERMITTED", `may not publish "${subtopic}"`);
        if (subtopic !== "report" && o.publishLimit !== undefined && ++flooded > o.publishLimit) {
          throw new LosError("LOS_E_AGENT_RATE_LIMITED", "too many messages");
        }
        rec.published.push({ subtopic, payload });
      },
      log: (level, obj, msg) => void rec.logs.push({ level, obj, msg }),
      // a fact space of one: fact.put stores, fact.get answers; anything else is echoed as refused
      coordinate: async (request): Promise<CoordinationReply> => {
        rec.coordinated.push(request);
        if (request.op === "fact.put") {
          facts.set(request.key, request.value);
          return { ok: true, fact: { scope: request.scope, owner: manifest.id, key: request.key, value: request.value, ts: Date.now(), by: manifest.id } };
        }
        if (request.op === "fact.get") {
          const value = facts.get(request.key);
          return { ok: true, fact: value === undefined ? null : { scope: request.scope, owner: manifest.id, key: request.key, value, ts: Date.now(), by: manifest.id } };
        }
        return { ok: false, code: "LOS_E_LEASE_CONFLICT", message: `refused in test: ${request.op}` };
      },
    },
    events: {
      heartbeat: (usage) => void rec.heartbeats.push(usage),
      exited: (reason) => void rec.exits.push(reason),
      cpuOver: (over) => void rec.cpuOver.push(over),
    },
  };
  return { options, rec };
}

export function reading(point: string, value: Value): Reading {
  return { point, value, quality: "good", ts: Date.now() };
}

/** Poll `check` until it returns something other than undefined/false (bounded; no fixed sleeps). */
export async function until<T>(check: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The payload of the first publication on `subtopic` matching `match`. */
export function published<T = Record<string, unknown>>(rec: Recorded, subtopic: string, match: (p: T) => boolean = () => true): T | undefined {
  return rec.published.find((p) => p.subtopic === subtopic && match(p.payload as T))?.payload as T | undefined;
}
