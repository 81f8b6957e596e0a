/**
 * What the supervisor keeps per agent: its manifest, grants and limits, the current run, restart
 * bookkeeping and the counters, and the snapshot made from them (`stats()`, state.db, the CLI).
 */
import type { Clock, TimerHandle } from "../core/clock.js";
import type { ErrorCode } from "../core/errors.js";
import type { AgentStatusPayload } from "../core/topics.js";
import type { ResolvedManifest } from "../config/agent-manifest.js";
import type { AgentSnapshot } from "../store/agents-repo.js";
import type { AgentGrants } from "./grants.js";
import type { AgentHost, AgentUsage } from "./hosts/agent-host.js";
import { RestartIntensity } from "./restart-policy.js";
import { AgentLimiter, type CallCounters } from "./supervisor-calls.js";

export type AgentState = AgentStatusPayload["state"];

export interface Supervised {
  manifest: ResolvedManifest;
  grants: AgentGrants;
  limiter: AgentLimiter;
  counters: CallCounters;
  intensity: RestartIntensity;
  state: AgentState;
  host: AgentHost | undefined;
  /** generation of the current run: events and calls of older runs are ignored */
  run: number;
  restarts: number;
  /** usage of ended runs, added to the current one */
  past: { cpuMs: number; decisions: number; failures: number };
  heapBytes: number;
  lastExit: { code: ErrorCode; message: string; ts: number } | undefined;
  startedAt: number | undefined;
  restartTimer: TimerHandle | undefined;
  error: string | undefined;
  /** times a run went over its CPU share and was moved to the idle class */
  cpuYields: number;
  /** monotonic ms when a run that had yielded ended: a restart soon after starts yielded */
  yieldedEndAt: number | undefined;
}

export function newRecord(manifest: ResolvedManifest, grants: AgentGrants, clock: Clock): Supervised {
  return {
    manifest,
    grants,
    limiter: new AgentLimiter(clock, manifest),
    counters: { messagesIn: 0, messagesOut: 0, logLines: 0, actuations: 0, refused: 0, rateLimited: 0 },
    intensity: new RestartIntensity(manifest.restart),
    state: "created",
    host: undefined,
    run: 0,
    restarts: 0,
    past: { cpuMs: 0, decisions: 0, failures: 0 },
    heapBytes: 0,
    lastExit: undefined,
    startedAt: undefined,
    restartTimer: undefined,
    error: undefined,
    cpuYields: 0,
    yieldedEndAt: undefined,
  };
}

/** a run ended: keep its usage (a host's counters start over with each run) */
export function foldUsage(rec: Supervised, u: AgentUsage): void {
  rec.past.cpuMs += u.cpuMs;
  rec.past.decisions += u.decisions;
  rec.past.failures += u.failures;
}

export function snapshotOf(rec: Supervised, now: number): AgentSnapshot {
  const u = rec.host?.usage();
  const m = rec.manifest;
  const s: AgentSnapshot = {
    id: m.id,
    isolation: m.isolation,
    state: rec.state,
    cpuMs: rec.past.cpuMs + (u?.cpuMs ?? 0),
    heapBytes: u?.heapBytes || rec.heapBytes,
    ...rec.counters,
    restarts: rec.restarts,
    cpuYields: rec.cpuYields,
    decisions: rec.past.decisions + (u?.decisions ?? 0),
    failures: rec.past.failures + (u?.failures ?? 0),
    updatedAt: now,
  };
  if (m.tenant !== undefined) s.tenant = m.tenant;
  if (rec.lastExit) s.lastExit = { ...rec.lastExit };
  if (rec.startedAt !== undefined && rec.state === "running") s.startedAt = rec.startedAt;
  return s;
}
