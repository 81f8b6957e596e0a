/**
 * Prepared statements by their SQL text, each prepared once on first use: preparing costs more than
 * running, and the repositories run the same few statements over and over.
 */
import type { Statement } from "better-sqlite3";
import type { Db } from "./sqlite.js";

export class StatementCache {
  #db: Db;
  #stmts = new Map<string, Statement>();

  constructor(db: Db) {
    this.#db = db;
  }

  get(sql: string): Statement {
    let s = this.#stmts.get(sql);
    if (s === undefined) {
      s = this.#db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }
}
