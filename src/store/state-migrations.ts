/**
 * Schema of state.db (acknowledged data: audit of actuations, the agents' last snapshot; tasks and
 * outbox later).
 * Opened with synchronous=FULL. See docs/store.md.
 */
import type { Migration } from "./migrations.js";

export const STATE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "audit",
    up(db) {
      db.exec(`
        -- AUTOINCREMENT: an audit id is never reused, even after the newest row is deleted.
        -- value and previous are JSON so that numbers, booleans and strings keep their type.
        CREATE TABLE audit (
          id         INTEGER PRIMARY KEY AUTOINCREMENT,
          ts         INTEGER NOT NULL,
          actor_kind TEXT NOT NULL,
          actor_id   TEXT NOT NULL,
          tenant     TEXT,
          point      TEXT NOT NULL,
          value      TEXT NOT NULL,
          previous   TEXT,
          reason     TEXT NOT NULL,
          outcome    TEXT NOT NULL CHECK (outcome IN ('accepted', 'refused', 'failed')),
          code       TEXT,
          message    TEXT
        );
        CREATE INDEX audit_ts ON audit (ts);
        CREATE INDEX audit_point_ts ON audit (point, ts);
        CREATE INDEX audit_actor_ts ON audit (actor_id, ts);
      `);
    },
  },
  {
    version: 2,
    name: "agents",
    up(db) {
      db.exec(`
        -- the supervisor's last snapshot of each agent (state and accounting as JSON), for the CLI
        CREATE TABLE agents (
          id         TEXT PRIMARY KEY,
          tenant     TEXT,
          state      TEXT NOT NULL,
          updated_at INTEGER NOT NULL,
          data       TEXT NOT NULL
        );
      `);
    },
  },
];
