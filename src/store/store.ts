/**
 * The gateway's store: state.db (acknowledged data, synchronous=FULL) and history.db (telemetry,
 * synchronous=NORMAL, incremental auto-vacuum) in the data dir, one writer connection each.
 * `openStoreReadOnly` gives CLI readers the queries while a gateway keeps writing.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { systemClock, type Clock } from "../core/clock.js";
import { LosError } from "../core/errors.js";
import { silentLogger, type Logger } from "../core/types.js";
import { AgentsRepo } from "./agents-repo.js";
import { AuditRepo } from "./audit-repo.js";
import { HISTORY_MIGRATIONS } from "./history-migrations.js";
import { assertSchemaCurrent, migrate } from "./migrations.js";
import { Retention, type RetentionOptions } from "./retention.js";
import { openDatabase, openDatabaseReadOnly, type Db } from "./sqlite.js";
import { STATE_MIGRATIONS } from "./state-migrations.js";
import { TelemetryQueries } from "./telemetry-queries.js";
import { TelemetryRepo } from "./telemetry-repo.js";
import { TasksRepo } from "./tasks-repo.js";
import { LeasesRepo } from "./leases-repo.js";
import { FactsRepo } from "./facts-repo.js";
import type { TelemetryWriterOptions } from "./telemetry-writer.js";

export const STATE_DB = "state.db";
export const HISTORY_DB = "history.db";

/** Defaults sized for an SD card: a month of history, at most 1 GiB. */
export const DEFAULT_RETENTION = { maxAgeMs: 30 * 24 * 3600 * 1000, maxBytes: 1024 * 1024 * 1024, intervalMs: 60_000 } as const;

/**
 * history.db: every flush dirties about one chunk-index leaf page per point (each point's newest chunk
 * sits at the tail of its own key range), so checkpoints should come every few flushes, not after each
 * one: with SQLite's default of 1000 pages a 100-device gateway checkpointed (copy + two fsyncs) at
 * every commit. The page cache follows the number of points (TelemetryWriter). See docs/store.md.
 */
const HISTORY_PRAGMAS = {
  synchronous: "NORMAL",
  autoVacuum: "INCREMENTAL",
  walAutocheckpointPages: 8192,
  walSizeLimitBytes: 32 * 1024 * 1024,
} as const;

export interface StoreOptions {
  dataDir: string;
  clock?: Clock;
  logger?: Logger;
  telemetry?: TelemetryWriterOptions;
  /** Omitted fields take DEFAULT_RETENTION; set `retention: false` to disable the periodic runs. */
  retention?: RetentionOptions | false;
}

export interface Store {
  readonly dataDir: string;
  telemetry: TelemetryRepo;
  audit: AuditRepo;
  agents: AgentsRepo;
  /** tasks and their events (docs/tasks.md) */
  tasks: TasksRepo;
  /** leases and reservations (docs/coordination.md) */
  leases: LeasesRepo;
  /** the shared fact space (docs/coordination.md) */
  facts: FactsRepo;
  retention: Retention;
  /** Stop retention, flush telemetry, close both files. Rejects with LOS_E_STORE_WRITE if the final flush failed (files are closed anyway). */
  close(): Promise<void>;
}

export interface ReadOnlyStore {
  readonly dataDir: string;
  telemetry: TelemetryQueries;
  audit: Pick<AuditRepo, "list" | "count">;
  agents: Pick<AgentsRepo, "list">;
  tasks: Pick<TasksRepo, "get" | "list" | "events">;
  close(): void;
}

export function openStore(options: StoreOptions): Store {
  const clock = options.clock ?? systemClock;
  const log = (options.logger ?? silentLogger).child({ component: "store" });
  const dataDir = options.dataDir;
  ensureDir(dataDir);
  const opened: Db[] = [];
  try {
    const state = openDatabase(join(dataDir, STATE_DB), { synchronous: "FULL" });
    opened.push(state);
    migrate(state, STATE_MIGRATIONS, STATE_DB);
    const history = openDatabase(join(dataDir, HISTORY_DB), HISTORY_PRAGMAS);
    opened.push(history);
    migrate(history, HISTORY_MIGRATIONS, HISTORY_DB);

    const telemetry = new TelemetryRepo(history, clock, log.child({ db: HISTORY_DB }), options.telemetry);
    const audit = new AuditRepo(state);
    const retentionOptions = options.retention === false ? {} : { ...DEFAULT_RETENTION, ...options.retention };
    const retention = new Retention(history, clock, log.child({ db: HISTORY_DB }), retentionOptions);
    if (options.retention !== false) retention.start();

    let closing: Promise<void> | undefined;
    const close = async (): Promise<void> => {
      await retention.stop();
      let failure: unknown;
      try {
        telemetry.close();
      } catch (err) {
        failure = err;
        log.error({ err, lost: telemetry.stats().buffered }, "final telemetry flush failed; buffered rows are lost");
      }
      history.close();
      state.close();
      if (failure !== undefined) throw failure;
    };
    return {
      dataDir,
      telemetry,
      audit,
      agents: new AgentsRepo(state),
      tasks: new TasksRepo(state),
      leases: new LeasesRepo(state),
      facts: new FactsRepo(state),
      retention,
      close: () => (closing ??= close()),
    };
  } catch (err) {
    for (const db of opened) db.close();
    throw err;
  }
}

/** Open both files read-only (they must exist and be at the schema this code knows). */
export function openStoreReadOnly(dataDir: string): ReadOnlyStore {
  const opened: Db[] = [];
  try {
    const state = openDatabaseReadOnly(join(dataDir, STATE_DB));
    opened.push(state);
    assertSchemaCurrent(state, STATE_MIGRATIONS, STATE_DB);
    const history = openDatabaseReadOnly(join(dataDir, HISTORY_DB));
    opened.push(history);
    assertSchemaCurrent(history, HISTORY_MIGRATIONS, HISTORY_DB);
    return {
      dataDir,
      telemetry: new TelemetryQueries(history),
      audit: new AuditRepo(state),
      agents: new AgentsRepo(state),
      tasks: new TasksRepo(state),
      close: () => {
        for (const db of opened) if (db.open) db.close();
      },
    };
  } catch (err) {
    for (const db of opened) db.close();
    throw err;
  }
}

function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new LosError("LOS_E_STORE_OPEN", `Cannot create the data dir ${dir}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
      details: { path: dir },
    });
  }
}
