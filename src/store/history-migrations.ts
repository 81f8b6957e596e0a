/**
 * Schema of history.db (telemetry). Opened with synchronous=NORMAL and auto_vacuum=INCREMENTAL
 * (set by the opener before this first table exists). See docs/store.md.
 */
import type { Migration } from "./migrations.js";

export const HISTORY_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "points, samples, last_values",
    up(db) {
      db.exec(`
        -- Interned point names. kind: 0 no value seen yet, 1 number, 2 boolean, 3 string.
        CREATE TABLE points (
          id   INTEGER PRIMARY KEY,
          name TEXT NOT NULL UNIQUE,
          kind INTEGER NOT NULL DEFAULT 0
        );
        -- One row per reading. Numbers and booleans (0/1) in num, strings in txt, both NULL for no value.
        -- quality: 0 good, 1 uncertain, 2 bad (0 costs no payload byte in SQLite's record format).
        -- No foreign key on point_id: ids only come from points, and the check would cost a lookup per row.
        CREATE TABLE samples (
          point_id INTEGER NOT NULL,
          ts       INTEGER NOT NULL,
          num      REAL,
          txt      TEXT,
          quality  INTEGER NOT NULL,
          error    TEXT
        );
        CREATE INDEX samples_point_ts ON samples (point_id, ts);
        -- Latest reading per point, upserted once per point per flush (not per row).
        CREATE TABLE last_values (
          point_id INTEGER PRIMARY KEY REFERENCES points (id),
          ts       INTEGER NOT NULL,
          num      REAL,
          txt      TEXT,
          quality  INTEGER NOT NULL,
          error    TEXT
        );
      `);
    },
  },
];
