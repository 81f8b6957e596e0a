/**
 * A task manager on a ManualClock with a real state.db, the real lease table, contract net and
 * negotiator, and scripted participants standing in for the supervisor's agents.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../../src/core/clock.js";
import type { AgentAnswer, AgentQuestion } from "../../src/core/task-types.js";
import { openStore, type Store } from "../../src/store/index.js";
import { ContractNet } from "../../src/tasks/contract-net.js";
import { Leases } from "../../src/tasks/leases.js";
import { Negotiator } from "../../src/tasks/negotiation.js";
import type { AgentDirectory } from "../../src/tasks/participants.js";
import { resolveTaskDefaults } from "../../src/tasks/task-defaults.js";
import { TaskManager } from "../../src/tasks/task-manager.js";
import type { TasksConfig } from "../../src/config/tasks-schema.js";
import { ScriptedParticipant, type Script } from "./scripted-participants.js";

export class ScriptedDirectory implements AgentDirectory {
  agents = new Map<string, ScriptedParticipant>();
  #clock: ManualClock;

  constructor(clock: ManualClock) {
    this.#clock = clock;
  }

  add(script: Script): ScriptedParticipant {
    const p = new ScriptedParticipant(this.#clock, script);
    this.agents.set(p.id, p);
    return p;
  }

  remove(id: string): void {
    this.agents.delete(id);
  }

  running() {
    return [...this.agents.values()].map((p) => ({ id: p.id, tenant: p.tenant }));
  }

  skillsOf(id: string): readonly string[] {
    return this.agents.get(id)?.skills() ?? [];
  }

  heartbeatMsOf(): number {
    return 500;
  }

  ask<Q extends AgentQuestion>(id: string, q: Q, signal: AbortSignal): Promise<AgentAnswer<Q>> {
    const p = this.agents.get(id);
    if (!p) return Promise.reject(Object.assign(new Error(`agent ${id} is not running`), { code: "LOS_E_AGENT_UNKNOWN" }));
    const answer: Promise<unknown> =
      q.kind === "cfp" ? p.propose(q.cfp, signal) : q.kind === "award" ? p.award(q.award, signal) : q.kind === "run" ? p.run(q.run, signal) : p.cancel(q.taskId, q.attempt, q.reason);
    return answer as Promise<AgentAnswer<Q>>;
  }
}

export interface ManagerHarness {
  clock: ManualClock;
  store: Store;
  dir: ScriptedDirectory;
  leases: Leases;
  manager: TaskManager;
  dataDir: string;
  /** close manager, leases and store (keeps the data dir) */
  stop(): Promise<void>;
  cleanup(): Promise<void>;
}

export function startManager(opts: { config?: TasksConfig; dataDir?: string; clock?: ManualClock; dir?: ScriptedDirectory } = {}): ManagerHarness {
  const clock = opts.clock ?? new ManualClock();
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "los-tasks-"));
  const store = openStore({ dataDir, clock, retention: false });
  const leases = new Leases({ store: store.leases, clock });
  const dir = opts.dir ?? new ScriptedDirectory(clock);
  const manager = new TaskManager({
    store: store.tasks,
    agents: dir,
    leases,
    auction: new ContractNet({ clock }),
    negotiation: new Negotiator({ clock }),
    defaults: resolveTaskDefaults(opts.config ?? { auction: { bidWindowMs: 100, confirmMs: 100 } }),
    clock,
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await manager.close();
    leases.close();
    await store.close();
  };
  return {
    clock,
    store,
    dir,
    leases,
    manager,
    dataDir,
    stop,
    cleanup: async () => {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
