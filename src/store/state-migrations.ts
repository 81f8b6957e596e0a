/**
 * Schema of state.db (acknowledged data: audit of actuations, the agents' last snapshot, tasks and
 * their events, leases, facts; outbox later).
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
  {
    version: 3,
    name: "tasks and coordination",
    up(db) {
      db.exec(`
        -- one row per task; the columns the queries filter on, the rest (requires, params, auction and
        -- negotiation options, parts, excluded, result, error) as JSON in data. See docs/tasks.md.
        CREATE TABLE tasks (
          id          TEXT PRIMARY KEY,
          type        TEXT NOT NULL,
          tenant      TEXT,
          state       TEXT NOT NULL CHECK (state IN ('pending', 'announced', 'awarded', 'running', 'done', 'failed', 'cancelled', 'expired')),
          priority    INTEGER NOT NULL,
          deadline    INTEGER,
          allocation  TEXT NOT NULL,
          created_by  TEXT NOT NULL,
          created_at  INTEGER NOT NULL,
          updated_at  INTEGER NOT NULL,
          winner      TEXT,
          attempt     INTEGER NOT NULL DEFAULT 0,
          data        TEXT NOT NULL
        );
        CREATE INDEX tasks_state ON tasks (state, priority DESC, created_at);
        CREATE INDEX tasks_created ON tasks (created_at);
        -- every transition and bid outcome, for llmagentos tasks show and post-mortems
        CREATE TABLE task_events (
          id       INTEGER PRIMARY KEY AUTOINCREMENT,
          task_id  TEXT NOT NULL,
          ts       INTEGER NOT NULL,
          event    TEXT NOT NULL,
          agent    TEXT,
          attempt  INTEGER,
          code     TEXT,
          data     TEXT
        );
        CREATE INDEX task_events_task ON task_events (task_id, id);
        -- leases and reservations of actuators (point:<device>/<point>) and tasks (task:<id>)
        CREATE TABLE leases (
          resource TEXT NOT NULL,
          token    INTEGER NOT NULL,
          holder   TEXT NOT NULL,
          kind     TEXT NOT NULL CHECK (kind IN ('lease', 'reservation')),
          from_ts  INTEGER NOT NULL,
          until_ts INTEGER NOT NULL,
          ttl_ms   INTEGER,
          PRIMARY KEY (resource, token)
        );
        CREATE INDEX leases_holder ON leases (holder);
        CREATE INDEX leases_until ON leases (until_ts);
        -- the shared fact space; value is JSON
        CREATE TABLE facts (
          scope      TEXT NOT NULL CHECK (scope IN ('agent', 'tenant', 'site')),
          owner      TEXT NOT NULL,
          key        TEXT NOT NULL,
          value      TEXT NOT NULL,
          ts         INTEGER NOT NULL,
          expires_at INTEGER,
          by         TEXT NOT NULL,
          PRIMARY KEY (scope, owner, key)
        );
        CREATE INDEX facts_expiry ON facts (expires_at) WHERE expires_at IS NOT NULL;
        -- an actuation made inside a task carries an idempotency key: a retried task finds the
        -- accepted write of an earlier attempt and does not actuate twice
        ALTER TABLE audit ADD COLUMN idem_key TEXT;
        CREATE UNIQUE INDEX audit_idem_key ON audit (idem_key) WHERE idem_key IS NOT NULL AND outcome = 'accepted';
      `);
    },
  },
];
