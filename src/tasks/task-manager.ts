/**
 * The task manager (TaskService, docs/tasks.md): a task is validated and committed to state.db before
 * its creator hears of it, then allocated in the background (priority order, bounded concurrency)
 * directly, by contract net or by negotiation; the winner holds the task lease `task:<id>` while it
 * runs. A winner that dies or stops renewing loses the task to the next one (attempt + 1, at least
 * once; the agent side's idempotency keys keep a retried run from actuating twice). Deadlines expire
 * tasks; after a restart unfinished tasks resume from the store.
 */
import type { Clock, TimerHandle } from "../core/clock.js";
import { LosError, toLosError } from "../core/errors.js";
import type { TaskError, TaskRecord, TaskSpec, TaskState } from "../core/task-types.js";
import { silentLogger, type Logger } from "../core/types.js";
import type { NewTaskEvent, TaskEventRecord, TaskQuery } from "../store/tasks-repo.js";
import type { AuctionRequest, AwardOutcome, LeaseService, NegotiationOutcome, NegotiationRequest, RoundResult, TaskEvent, TaskFilter, TaskService } from "./contracts.js";
import type { AgentDirectory } from "./participants.js";
import { allocate } from "./task-allocation.js";
import type { TaskDefaults } from "./task-defaults.js";
import { Execution } from "./task-execution.js";
import { isFinal, transition } from "./task-lifecycle.js";
import { TaskQueue } from "./task-queue.js";
import { taskRecordFromSpec } from "./task-spec.js";

/** What the manager needs of storage (src/store/tasks-repo.ts). */
export interface TaskStore {
  insert(task: TaskRecord, events?: readonly NewTaskEvent[]): void;
  update(task: TaskRecord, events?: readonly NewTaskEvent[]): void;
  addEvents(taskId: string, events: readonly NewTaskEvent[]): void;
  get(id: string): TaskRecord | undefined;
  list(q?: TaskQuery): TaskRecord[];
  unfinished(): TaskRecord[];
  events(taskId: string): TaskEventRecord[];
  prune(before: number): string[];
}

/** The contract-net engine (src/tasks/contract-net.ts). */
export interface AuctionEngine {
  announce(req: AuctionRequest): Promise<RoundResult>;
  award(req: AuctionRequest, round: RoundResult): Promise<AwardOutcome>;
}

/** The negotiator (src/tasks/negotiation.ts). */
export interface NegotiationEngine {
  negotiate(req: NegotiationRequest): Promise<NegotiationOutcome>;
}

export interface TaskManagerDeps {
  store: TaskStore;
  agents: AgentDirectory;
  leases: LeaseService;
  auction: AuctionEngine;
  negotiation?: NegotiationEngine;
  defaults: TaskDefaults;
  clock: Clock;
  logger?: Logger;
}

/** A change the manager applies to a task; refused (undefined) when the task moved on meanwhile. */
export interface Change {
  to: TaskState;
  patch?: Partial<Omit<TaskRecord, "id" | "state">>;
  events?: NewTaskEvent[];
  /** apply only while the task has this attempt / is in one of these states */
  ifAttempt?: number;
  ifState?: readonly TaskState[];
}

const PRUNE_EVERY_MS = 3_600_000;

export class TaskManager implements TaskService {
  readonly deps: TaskManagerDeps;
  readonly log: Logger;
  #listeners = new Set<(task: TaskRecord) => void>();
  #pruned = new Set<(id: string) => void>();
  #queue: TaskQueue;
  #deadlines = new Map<string, TimerHandle>();
  /** per task: the signal of the work under way (allocation or run), aborted when the task moves on */
  #work = new Map<string, AbortController>();
  /** per task: the announce round at which it fails with no bids (re-announcing adds maxRounds) */
  #roundLimit = new Map<string, number>();
  #pruneTimer: TimerHandle | undefined;
  #pending = new Set<Promise<unknown>>();
  #closed = false;
  readonly execution: Execution;

  constructor(deps: TaskManagerDeps) {
    this.deps = deps;
    this.log = (deps.logger ?? silentLogger).child({ component: "tasks" });
    this.execution = new Execution(this);
    this.#queue = new TaskQueue(
      deps.defaults.concurrency,
      (id) => allocate(this, id),
      (id, err) => this.fail(id, toLosError(err), "allocation failed"),
    );
  }

  get clock(): Clock {
    return this.deps.clock;
  }

  // ---- TaskService ----

  create(spec: TaskSpec, createdBy: string): TaskRecord {
    this.#open();
    const task = taskRecordFromSpec(spec, { now: this.clock.now(), defaults: this.deps.defaults, createdBy });
    this.deps.store.insert(task, [{ ts: task.createdAt, event: "created", data: { by: createdBy, allocation: task.allocation } }]);
    this.#emit(task);
    this.#watchDeadline(task);
    this.enqueue(task);
    return task;
  }

  async cancel(id: string, by: string, reason: string): Promise<TaskRecord> {
    this.#open();
    const task = this.deps.store.get(id);
    if (!task) throw new LosError("LOS_E_TASK_UNKNOWN", `no task with id "${id}"`, { details: { task: id } });
    if (isFinal(task.state)) throw new LosError("LOS_E_TASK_STATE", `task ${id} is already ${task.state}`, { details: { task: id, state: task.state } });
    const done = this.end(task, "cancelled", { by, reason }, { code: "LOS_E_TASK_STATE", message: `cancelled by ${by}: ${reason}` });
    if (!done) throw new LosError("LOS_E_TASK_STATE", `task ${id} finished before it could be cancelled`);
    return done;
  }

  get(id: string): TaskRecord | undefined {
    return this.deps.store.get(id);
  }

  /** Store a task built here (not from a spec: a task run in code); it is not allocated. */
  record(task: TaskRecord, events: readonly NewTaskEvent[]): void {
    this.#open();
    this.deps.store.insert(task, events);
    this.#emit(task);
  }

  list(filter: TaskFilter = {}): TaskRecord[] {
    return this.deps.store.list(filter);
  }

  events(id: string): TaskEvent[] {
    return this.deps.store.events(id);
  }

  waitFor(id: string, states: readonly TaskState[] = ["done", "failed", "cancelled", "expired"], signal?: AbortSignal): Promise<TaskRecord> {
    return new Promise((resolve, reject) => {
      const now = this.get(id);
      if (!now) return reject(new LosError("LOS_E_TASK_UNKNOWN", `no task with id "${id}"`));
      if (states.includes(now.state)) return resolve(now);
      const off = this.onChange((t) => {
        if (t.id !== id || !states.includes(t.state)) return;
        off();
        signal?.removeEventListener("abort", onAbort);
        resolve(t);
      });
      const onAbort = () => {
        off();
        reject(signal?.reason ?? new LosError("LOS_E_CLOSED", "wait aborted"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  onChange(listener: (task: TaskRecord) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** a finished task was deleted by retention (its retained state can be cleared) */
  onPruned(listener: (id: string) => void): () => void {
    this.#pruned.add(listener);
    return () => this.#pruned.delete(listener);
  }

  /** Resume unfinished tasks from the store and start retention; call once the agents run. */
  start(): void {
    this.#open();
    for (const task of this.deps.store.unfinished()) {
      this.#watchDeadline(task);
      if (isFinal(this.get(task.id)?.state ?? "done")) continue;
      this.#roundLimit.set(task.id, task.round + task.auction.maxRounds);
      if (task.state === "pending" || task.state === "announced") this.enqueue(task);
      else this.execution.resume(task);
    }
    this.prune();
  }

  prune(): void {
    if (this.#pruneTimer) this.clock.clearTimeout(this.#pruneTimer);
    try {
      for (const id of this.deps.store.prune(this.clock.now() - this.deps.defaults.keepMs)) for (const fn of this.#pruned) fn(id);
    } catch (err) {
      this.log.warn({ err: toLosError(err).message }, "pruning finished tasks failed");
    }
    this.#pruneTimer = this.#closed ? undefined : this.clock.setTimeout(() => this.prune(), PRUNE_EVERY_MS);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#pruneTimer) this.clock.clearTimeout(this.#pruneTimer);
    for (const t of this.#deadlines.values()) this.clock.clearTimeout(t);
    this.#deadlines.clear();
    // work under way stops; the tasks stay as stored and resume at the next start
    for (const ac of this.#work.values()) ac.abort(new LosError("LOS_E_CLOSED", "the task manager is closing"));
    await this.#queue.close();
    await Promise.allSettled([...this.#pending]);
    this.execution.close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  // ---- agents ----

  /** The agent ended (crash, kill, removal): its tasks go to others. */
  onAgentExit(agentId: string, code = "LOS_E_AGENT_UNKNOWN", message = `agent ${agentId} ended`): void {
    if (this.#closed) return;
    this.execution.agentGone(agentId, code, message);
  }

  /** The agent is alive (its heartbeat): tasks it held across a restart resume. */
  onAgentAlive(agentId: string): void {
    if (this.#closed) return;
    this.execution.agentAlive(agentId);
  }

  // ---- the core the allocation and execution parts use ----

  enqueue(task: TaskRecord): void {
    if (this.#closed) return;
    if (!this.#roundLimit.has(task.id)) this.#roundLimit.set(task.id, task.round + task.auction.maxRounds);
    this.#queue.push({ id: task.id, priority: task.priority, createdAt: task.createdAt });
  }

  roundLimit(task: TaskRecord): number {
    return this.#roundLimit.get(task.id) ?? task.round + task.auction.maxRounds;
  }

  extendRounds(task: TaskRecord): void {
    this.#roundLimit.set(task.id, task.round + task.auction.maxRounds);
  }

  /** A fresh signal for the task's next piece of work; aborts the previous one. */
  newWork(id: string): AbortSignal {
    this.#work.get(id)?.abort(new LosError("LOS_E_TASK_STALE", "the task moved on"));
    const ac = new AbortController();
    this.#work.set(id, ac);
    return ac.signal;
  }

  stopWork(id: string, reason: unknown): void {
    this.#work.get(id)?.abort(reason);
    this.#work.delete(id);
  }

  /** Apply a change to the latest stored task; undefined when the task moved on (final, other attempt). */
  apply(id: string, c: Change): TaskRecord | undefined {
    const task = this.get(id);
    if (!task || isFinal(task.state)) return undefined;
    if (c.ifAttempt !== undefined && task.attempt !== c.ifAttempt) return undefined;
    if (c.ifState && !c.ifState.includes(task.state)) return undefined;
    const now = this.clock.now();
    const next = transition(task, c.to, now, c.patch);
    const events = c.events ?? [{ ts: now, event: c.to }];
    this.deps.store.update(next, events);
    this.#emit(next);
    if (isFinal(next.state)) this.#finished(next);
    return next;
  }

  /** Store events without a state change (bids, stale reports, progress). */
  note(id: string, events: readonly NewTaskEvent[]): void {
    if (events.length > 0 && this.get(id)) this.deps.store.addEvents(id, events);
  }

  /** Change fields other than the state (a part's progress, fencing tokens used by a round). */
  patch(id: string, fields: (task: TaskRecord) => Partial<Omit<TaskRecord, "id" | "state">>, events: readonly NewTaskEvent[] = []): TaskRecord | undefined {
    const task = this.get(id);
    if (!task || isFinal(task.state)) return undefined;
    const next = { ...task, ...fields(task), updatedAt: this.clock.now() };
    this.deps.store.update(next, events);
    this.#emit(next);
    return next;
  }

  /** End a task as cancelled or expired: its work stops and its runner is told. */
  end(task: TaskRecord, to: "cancelled" | "expired", data: Record<string, unknown>, error: TaskError): TaskRecord | undefined {
    const next = this.apply(task.id, { to, patch: { error }, events: [{ ts: this.clock.now(), event: to, code: error.code, data }] });
    if (next) this.execution.abandon(task, error.message);
    return next;
  }

  fail(id: string, err: LosError, what: string): void {
    if (err.code === "LOS_E_CLOSED" && this.#closed) return;
    this.log.warn({ task: id, code: err.code, err: err.message }, what);
    this.apply(id, { to: "failed", patch: { error: { code: err.code, message: err.message } }, events: [{ ts: this.clock.now(), event: "failed", code: err.code, data: { message: err.message } }] });
  }

  track(p: Promise<unknown>): void {
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  // ---- internals ----

  #open(): void {
    if (this.#closed) throw new LosError("LOS_E_CLOSED", "the task manager is closed");
  }

  #emit(task: TaskRecord): void {
    for (const fn of this.#listeners) {
      try {
        fn(task);
      } catch (err) {
        this.log.warn({ err: toLosError(err).message }, "a task listener threw");
      }
    }
  }

  #finished(task: TaskRecord): void {
    const timer = this.#deadlines.get(task.id);
    if (timer) this.clock.clearTimeout(timer);
    this.#deadlines.delete(task.id);
    this.#roundLimit.delete(task.id);
    this.#queue.remove(task.id);
    this.stopWork(task.id, new LosError("LOS_E_TASK_STATE", `task ${task.id} is ${task.state}`));
    this.execution.finished(task);
  }

  #watchDeadline(task: TaskRecord): void {
    if (task.deadline === undefined || isFinal(task.state)) return;
    const expire = () => {
      this.#deadlines.delete(task.id);
      const latest = this.get(task.id);
      if (!latest || isFinal(latest.state)) return;
      const message = `task ${task.id} was not done by its deadline ${new Date(task.deadline!).toISOString()}`;
      this.end(latest, "expired", { deadline: task.deadline }, { code: "LOS_E_TASK_DEADLINE", message });
    };
    const ms = task.deadline - this.clock.now();
    if (ms <= 0) return expire();
    this.#deadlines.set(task.id, this.clock.setTimeout(expire, ms));
  }
}
