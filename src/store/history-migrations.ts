/**
 * Schema of history.db (telemetry). Opened with synchronous=NORMAL and auto_vacuum=INCREMENTAL
 * (set by the opener before this first table exists). See docs/store.md.
 */
import type { Migration } from "./migrations.js";
import type { Db } from "./sqlite.js";
import { ChunkBuilder } from "./telemetry-chunk.js";

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
  {
    version: 2,
    name: "samples packed into chunks",
    up(db) {
      db.exec(`
        -- The samples of one point from one flush in one row (telemetry-chunk.ts has the blob format).
        -- At most 1024 samples spanning at most 60 s, in time order; n counts them.
        CREATE TABLE chunks (
          point_id INTEGER NOT NULL,
          ts_first INTEGER NOT NULL,
          ts_last  INTEGER NOT NULL,
          n        INTEGER NOT NULL,
          data     BLOB NOT NULL
        );
        CREATE INDEX chunks_point_first ON chunks (point_id, ts_first);
      `);
      packSamples(db);
      db.exec("DROP TABLE samples");
    },
  },
];

/** Version 2: move every v1 sample into chunks, point by point, in pages (bounded memory on big files). */
function packSamples(db: Db): void {
  const PAGE = 10_000;
  const ids = db.prepare("SELECT DISTINCT point_id FROM samples ORDER BY point_id").pluck().all() as number[];
  const firstPage = db.prepare(
    "SELECT rowid AS r, ts, num, txt, quality, error FROM samples WHERE point_id = ? ORDER BY ts, rowid LIMIT ?",
  );
  const nextPage = db.prepare(
    "SELECT rowid AS r, ts, num, txt, quality, error FROM samples WHERE point_id = ? AND (ts, rowid) > (?, ?) ORDER BY ts, rowid LIMIT ?",
  );
  const insert = db.prepare("INSERT INTO chunks (point_id, ts_first, ts_last, n, data) VALUES (?, ?, ?, ?, ?)");
  const chunk = new ChunkBuilder();
  type Row = { r: number; ts: number; num: number | null; txt: string | null; quality: number; error: string | null };
  const emit = (id: number): void => {
    if (chunk.size === 0) return;
    insert.run(id, chunk.first, chunk.last, chunk.size, chunk.encode());
    chunk.reset();
  };
  for (const id of ids) {
    let rows = firstPage.all(id, PAGE) as Row[];
    while (rows.length > 0) {
      for (const row of rows) {
        if (!chunk.fits(row.ts)) emit(id);
        chunk.add(row.ts, row.num, row.txt, row.quality, row.error);
      }
      const last = rows[rows.length - 1]!;
      rows = rows.length < PAGE ? [] : (nextPage.all(id, last.ts, last.r, PAGE) as Row[]);
    }
    emit(id);
  }
}
