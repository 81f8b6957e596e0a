/**
 * The `tasks:` section with its defaults (docs/tasks.md). Kept apart from the TypeBox schema so the
 * running gateway need not load TypeBox (see src/config/connection-key.ts).
 */
import type { AuctionOptions, NegotiationOptions } from "../core/task-types.js";
import type { TasksConfig } from "../config/tasks-schema.js";

export interface TaskDefaults {
  auction: AuctionOptions;
  negotiation: NegotiationOptions;
  /** undefined: 3 × the winner's heartbeat (min 1000), decided at award time */
  leaseMs: number | undefined;
  priority: number;
  /** tasks allocated at the same time */
  concurrency: number;
  /** finished tasks older than this are pruned with their events */
  keepMs: number;
}

export const DEFAULT_AUCTION: Readonly<AuctionOptions> = { objective: "max", rule: "first-price", bidWindowMs: 500, confirmMs: 1000, maxRounds: 3 };
export const DEFAULT_NEGOTIATION: Readonly<NegotiationOptions> = { maxRounds: 4 };
export const MIN_TASK_LEASE_MS = 1000;

export function resolveTaskDefaults(c: TasksConfig = {}): TaskDefaults {
  return {
    auction: { ...DEFAULT_AUCTION, ...c.auction },
    negotiation: { ...DEFAULT_NEGOTIATION, ...c.negotiation },
    leaseMs: c.leaseMs,
    priority: 5,
    concurrency: c.concurrency ?? 8,
    keepMs: (c.keepDays ?? 7) * 86_400_000,
  };
}

/** The lease a winner gets: the task's own, else the config's, else 3 heartbeats (at least 1 s). */
export function taskLeaseMs(taskLeaseMs: number | undefined, heartbeatMs: number | undefined): number {
  if (taskLeaseMs !== undefined) return taskLeaseMs;
  return Math.max(MIN_TASK_LEASE_MS, 3 * (heartbeatMs ?? 1000));
}
