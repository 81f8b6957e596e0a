/** The store layer's public surface. */
export { openStore, openStoreReadOnly, DEFAULT_RETENTION, STATE_DB, HISTORY_DB } from "./store.js";
export type { Store, StoreOptions, ReadOnlyStore } from "./store.js";
export { TelemetryRepo } from "./telemetry-repo.js";
export { TelemetryQueries } from "./telemetry-queries.js";
export type { RangeQuery, DownsampleQuery, Bucket, PointSummary } from "./telemetry-queries.js";
export { TelemetryWriter } from "./telemetry-writer.js";
export type { TelemetryWriterOptions, TelemetryStats } from "./telemetry-writer.js";
export { Retention } from "./retention.js";
export type { RetentionOptions, RetentionRun, RetentionStats } from "./retention.js";
export { AuditRepo } from "./audit-repo.js";
export type { AuditEntry, AuditRecord, AuditQuery, AuditOutcome } from "./audit-repo.js";
export { openDatabase, openDatabaseReadOnly } from "./sqlite.js";
export type { Db, OpenDatabaseOptions, Synchronous } from "./sqlite.js";
export { migrate, schemaVersion, latestVersion, assertSchemaCurrent } from "./migrations.js";
export type { Migration, MigrationResult } from "./migrations.js";
export { AgentsRepo } from "./agents-repo.js";
export type { AgentSnapshot, AgentExitRecord } from "./agents-repo.js";
