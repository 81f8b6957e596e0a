/**
 * Snapshots of the supervised agents in state.db, written by the gateway every few seconds and on
 * every state change, read by `llmagentos agents` while the gateway runs. A snapshot replaces the
 * previous one as a whole (agents no longer configured disappear).
 */
import type { Statement } from "better-sqlite3";
import type { Db } from "./sqlite.js";

export interface AgentExitRecord {
  code: string;
  message: string;
  ts: number;
}

/** One agent's state and accounting; counters are totals since the gateway started. */
export interface AgentSnapshot {
  id: string;
  tenant?: string;
  isolation: string;
  state: string;
  /** CPU time, ms (see docs/agents.md for what each isolation level measures) */
  cpuMs: number;
  /** heap in use at the last heartbeat, bytes (0: unknown) */
  heapBytes: number;
  /** readings delivered */
  messagesIn: number;
  /** publications accepted */
  messagesOut: number;
  logLines: number;
  /** actuations accepted */
  actuations: number;
  /** actuations and publications refused by grants, the envelope or the device */
  refused: number;
  /** publications, log lines and actuations refused by the agent's rate limits */
  rateLimited: number;
  restarts: number;
  /** runs moved to the idle class for using more than their CPU share (absent in older rows) */
  cpuYields?: number;
  decisions: number;
  failures: number;
  lastExit?: AgentExitRecord;
  /** epoch ms the current run started */
  startedAt?: number;
  /** epoch ms of this snapshot */
  updatedAt: number;
}

interface Row {
  data: string;
}

export class AgentsRepo {
  #db: Db;
  #insert: Statement | undefined;
  #list: Statement | undefined;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Replace the stored snapshot with these agents, in one transaction. */
  replaceAll(agents: readonly AgentSnapshot[]): void {
    this.#insert ??= this.#db.prepare("INSERT INTO agents (id, tenant, state, updated_at, data) VALUES (?, ?, ?, ?, ?)");
    const insert = this.#insert;
    this.#db.transaction(() => {
      this.#db.exec("DELETE FROM agents");
      for (const a of agents) insert.run(a.id, a.tenant ?? null, a.state, a.updatedAt, JSON.stringify(a));
    })();
  }

  /** Every agent of the last snapshot, by id. */
  list(): AgentSnapshot[] {
    this.#list ??= this.#db.prepare("SELECT data FROM agents ORDER BY id");
    return (this.#list.all() as Row[]).map((r) => JSON.parse(r.data) as AgentSnapshot);
  }
}
