/**
 * Telemetry on history.db for the gateway: the buffered writer and the queries on one writer
 * connection. Read-only users (the CLI) use TelemetryQueries alone.
 */
import type { Clock } from "../core/clock.js";
import type { Logger, Reading } from "../core/types.js";
import { TelemetryQueries } from "./telemetry-queries.js";
import { TelemetryWriter, type TelemetryStats, type TelemetryWriterOptions } from "./telemetry-writer.js";
import type { Db } from "./sqlite.js";

export class TelemetryRepo extends TelemetryQueries {
  #writer: TelemetryWriter;

  constructor(db: Db, clock: Clock, logger: Logger, options: TelemetryWriterOptions = {}) {
    super(db);
    this.#writer = new TelemetryWriter(db, clock, logger, options);
  }

  /** Buffer readings; see TelemetryWriter.append. */
  append(readings: readonly Reading[]): void {
    this.#writer.append(readings);
  }

  /** Write buffered rows now; returns how many. Throws LOS_E_STORE_WRITE (rows stay buffered). */
  flush(): number {
    return this.#writer.flush();
  }

  stats(): TelemetryStats {
    return this.#writer.stats();
  }

  /** Page cache (KiB) sized for the known points; see TelemetryWriterOptions.cacheKiBPerPoint. */
  get cacheKiB(): number {
    return this.#writer.cacheKiB;
  }

  /** Final flush; the connection itself is closed by the Store. */
  close(): void {
    this.#writer.close();
  }
}
