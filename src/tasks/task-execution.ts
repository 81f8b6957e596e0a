/**
 * Running an awarded task: the winner holds the task lease (`task:<id>`, a negotiated part
 * `task:<id>/<agent>`) renewed by its heartbeat, the task is `running`, the winner's outcome makes it
 * done or failed (or, with `retries`, announced again without the agent that failed). A winner that dies, whose call fails or whose lease runs out loses the task: it is
 * excluded and the task is announced again; the next award carries attempt + 1 (at least once); a late outcome of an old
 * attempt is stored as stale (LOS_E_TASK_STALE) and changes nothing. After a restart a winner whose
 * lease is still valid keeps its task and runs it again when it is back (same attempt: its
 * idempotency keys replay the writes it already made).
 */
import { LosError, toLosError } from "../core/errors.js";
import type { LeaseRecord, TaskOutcome, TaskPart, TaskRecord, TaskRun } from "../core/task-types.js";
import type { TaskParticipant } from "./contracts.js";
import { runningParticipant } from "./participants.js";
import type { NewTaskEvent } from "../store/tasks-repo.js";
import type { TaskManager } from "./task-manager.js";

const TASK_PREFIX = "task:";
/** states in which a negotiated part's outcome still counts (the rest of the amount may be renegotiated) */
const PART_STATES = new Set<TaskRecord["state"]>(["running", "announced", "awarded"]);

export function taskLease(taskId: string, agent?: string): string {
  return agent === undefined ? `${TASK_PREFIX}${taskId}` : `${TASK_PREFIX}${taskId}/${agent}`;
}

function parseLease(resource: string): { taskId: string; agent?: string } | undefined {
  if (!resource.startsWith(TASK_PREFIX)) return undefined;
  const rest = resource.slice(TASK_PREFIX.length);
  const slash = rest.indexOf("/");
  return slash < 0 ? { taskId: rest } : { taskId: rest.slice(0, slash), agent: rest.slice(slash + 1) };
}

type Called = { outcome: TaskOutcome } | { error: LosError };

export class Execution {
  #m: TaskManager;
  /** agent → tasks it held across a restart, waiting for it to be back */
  #awaiting = new Map<string, Set<string>>();
  #offExpired: () => void;

  constructor(m: TaskManager) {
    this.#m = m;
    this.#offExpired = m.deps.leases.onExpired((lease) => this.#leaseExpired(lease));
  }

  close(): void {
    this.#offExpired();
  }

  /** The winner confirmed: lease, running, run. */
  start(task: TaskRecord, p: TaskParticipant, attempt: number, leaseMs: number): void {
    const m = this.#m;
    if (!this.#hold(taskLease(task.id), p.id, leaseMs)) return;
    const running = m.apply(task.id, { to: "running", ifAttempt: attempt, events: [{ ts: m.clock.now(), event: "running", agent: p.id, attempt, data: { leaseMs } }] });
    if (!running) return void m.deps.leases.release(taskLease(task.id), p.id);
    m.track(this.#run(running, p, attempt));
  }

  /** Negotiated parts: each part's agent holds its own lease and runs its quantity. */
  startParts(task: TaskRecord, participants: readonly TaskParticipant[], leaseMs: number): void {
    const m = this.#m;
    const fresh = (task.parts ?? []).filter((p) => p.state === "awarded");
    for (const part of fresh) this.#hold(taskLease(task.id, part.agent), part.agent, leaseMs);
    const running = m.apply(task.id, {
      to: "running",
      patch: { parts: (task.parts ?? []).map((p) => (p.state === "awarded" ? { ...p, state: "running" as const } : p)) },
      events: [{ ts: m.clock.now(), event: "running", data: { parts: fresh.map((p) => p.agent), leaseMs } }],
    });
    if (!running) return;
    // a renegotiation that found nobody for the rest, while the parts held meanwhile all finished
    if (fresh.length === 0) return void this.#finishIfAllDone(running);
    for (const part of fresh) {
      const p = participants.find((x) => x.id === part.agent) ?? runningParticipant(m.deps.agents, part.agent);
      if (p) m.track(this.#runPart(running, p, part));
      else this.#partGone(task.id, part.agent, "LOS_E_AGENT_UNKNOWN", `agent ${part.agent} is not running`);
    }
  }

  /** After a restart: an awarded or running task keeps its winner while the winner's lease holds. */
  resume(task: TaskRecord): void {
    const m = this.#m;
    if (task.parts && task.parts.length > 0) {
      for (const part of task.parts.filter((p) => p.state === "awarded" || p.state === "running")) {
        const lease = m.deps.leases.holderOf(taskLease(task.id, part.agent));
        if (lease?.holder !== part.agent) this.#partGone(task.id, part.agent, "LOS_E_TASK_LEASE_EXPIRED", `the lease of ${part.agent} ran out while the gateway was down`);
        else this.#await(part.agent, task.id);
      }
      return;
    }
    const lease = m.deps.leases.holderOf(taskLease(task.id));
    if (!task.winner || lease?.holder !== task.winner) {
      return this.reannounce(task.id, task.attempt, task.winner, "LOS_E_TASK_LEASE_EXPIRED", "the winner's lease ran out while the gateway was down");
    }
    this.#await(task.winner, task.id);
  }

  agentAlive(agent: string): void {
    const ids = this.#awaiting.get(agent);
    if (!ids) return;
    const p = runningParticipant(this.#m.deps.agents, agent);
    if (!p) return;
    this.#awaiting.delete(agent);
    for (const id of ids) this.#rerun(id, p);
  }

  /** The agent ended: every task it had awarded or running goes to others. */
  agentGone(agent: string, code: string, message: string): void {
    const m = this.#m;
    this.#awaiting.delete(agent);
    for (const task of m.list({ state: ["awarded", "running"] })) {
      if (task.parts?.some((p) => p.agent === agent && (p.state === "awarded" || p.state === "running"))) this.#partGone(task.id, agent, code, message);
      else if (task.winner === agent && !task.parts?.length) this.reannounce(task.id, task.attempt, agent, code, message);
    }
  }

  /** The task was cancelled or expired: stop its runner(s). */
  abandon(task: TaskRecord, reason: string): void {
    const m = this.#m;
    const tell = (agent: string, attempt: number) => {
      const p = runningParticipant(m.deps.agents, agent);
      if (p) m.track(p.cancel(task.id, attempt, reason));
    };
    if (task.parts?.length) for (const part of task.parts) if (part.state === "awarded" || part.state === "running") tell(part.agent, part.attempt);
    if (task.winner && (task.state === "awarded" || task.state === "running")) tell(task.winner, task.attempt);
  }

  /** The task is final: its leases go. */
  finished(task: TaskRecord): void {
    const { leases } = this.#m.deps;
    if (task.winner) leases.release(taskLease(task.id), task.winner);
    for (const part of task.parts ?? []) leases.release(taskLease(task.id, part.agent), part.agent);
    for (const ids of this.#awaiting.values()) ids.delete(task.id);
  }

  /** The winner let the task down: exclude it (not for direct tasks) and announce again. */
  reannounce(id: string, attempt: number, agent: string | undefined, code: string, message: string, patch: Partial<TaskRecord> = {}): void {
    const m = this.#m;
    const task = m.get(id);
    if (!task || task.attempt !== attempt || (task.state !== "awarded" && task.state !== "running")) return;
    const excluded = agent !== undefined && task.allocation !== "direct" && !task.excluded.includes(agent) ? [...task.excluded, agent] : task.excluded;
    const next = m.apply(id, {
      to: "announced",
      ifAttempt: attempt,
      patch: { ...patch, winner: undefined, price: undefined, excluded },
      events: [{ ts: m.clock.now(), event: "reannounced", ...(agent ? { agent } : {}), attempt, code, data: { message } }],
    });
    if (!next) return;
    m.log.warn({ task: id, agent, code }, `task announced again: ${message}`);
    m.stopWork(id, new LosError("LOS_E_TASK_STALE", message));
    if (agent) {
      m.deps.leases.release(taskLease(id), agent);
      const p = runningParticipant(m.deps.agents, agent);
      if (p) m.track(p.cancel(id, attempt, message)); // alive but silent (lease ran out): it must stop
    }
    m.extendRounds(next);
    m.enqueue(next);
  }

  // ---- internals ----

  #hold(resource: string, agent: string, leaseMs: number): boolean {
    const { leases } = this.#m.deps;
    // task resources belong to the manager: a previous winner's hold is void now
    const cur = leases.holderOf(resource);
    if (cur && cur.holder !== agent) leases.release(resource, cur.holder);
    const r = leases.acquire(resource, agent, leaseMs);
    if (!r.ok) this.#m.log.warn({ resource, agent, code: r.code }, `task lease refused: ${r.message}`);
    return r.ok;
  }

  async #call(p: TaskParticipant, run: TaskRun, signal: AbortSignal): Promise<Called> {
    try {
      return { outcome: await p.run(run, signal) };
    } catch (err) {
      return { error: toLosError(err, "LOS_E_AGENT_PROTOCOL") };
    }
  }

  #runOf(task: TaskRecord, attempt: number, quantity?: number): TaskRun {
    const run: TaskRun = { taskId: task.id, type: task.type, params: task.params, attempt };
    if (quantity !== undefined) run.quantity = quantity;
    if (task.deadline !== undefined) run.deadline = task.deadline;
    return run;
  }

  async #run(task: TaskRecord, p: TaskParticipant, attempt: number): Promise<void> {
    const m = this.#m;
    const signal = m.newWork(task.id);
    const called = await this.#call(p, this.#runOf(task, attempt), signal);
    const latest = m.get(task.id);
    if (!latest || latest.state !== "running" || latest.attempt !== attempt || latest.winner !== p.id) {
      if (!signal.aborted || "outcome" in called) this.#stale(task.id, p.id, attempt);
      return;
    }
    if ("error" in called) {
      if (signal.aborted) return;
      return this.reannounce(task.id, attempt, p.id, called.error.code, `the run call to ${p.id} failed: ${called.error.message}`);
    }
    const o = called.outcome;
    const ts = m.clock.now();
    if (o.ok) return void m.apply(task.id, { to: "done", ifAttempt: attempt, patch: { result: o.result }, events: [{ ts, event: "done", agent: p.id, attempt }] });
    const failedRuns = (latest.failedRuns ?? 0) + 1;
    if (failedRuns <= (latest.retries ?? 0)) return this.reannounce(task.id, attempt, p.id, o.error.code, retryMessage(latest, p.id, o.error.message), { failedRuns });
    m.apply(task.id, { to: "failed", ifAttempt: attempt, patch: { error: o.error, failedRuns }, events: [{ ts, event: "failed", agent: p.id, attempt, code: o.error.code, data: { message: o.error.message } }] });
  }

  async #runPart(task: TaskRecord, p: TaskParticipant, part: TaskPart): Promise<void> {
    const m = this.#m;
    const called = await this.#call(p, this.#runOf(task, part.attempt, part.quantity), m.newWork(`${task.id}/${part.agent}`));
    m.stopWork(`${task.id}/${part.agent}`, undefined);
    const latest = m.get(task.id);
    const mine = latest?.parts?.find((x) => x.agent === part.agent);
    // another part's failure may have sent the task back to negotiation meanwhile: this part still counts
    if (!latest || !PART_STATES.has(latest.state) || mine?.attempt !== part.attempt || mine.state !== "running") return this.#stale(task.id, p.id, part.attempt);
    if ("error" in called) return this.#partGone(task.id, part.agent, called.error.code, `the run call to ${p.id} failed: ${called.error.message}`);
    const o = called.outcome;
    const ts = m.clock.now();
    if (!o.ok) {
      const failedRuns = (latest.failedRuns ?? 0) + 1;
      if (failedRuns <= (latest.retries ?? 0)) return this.#partGone(task.id, part.agent, o.error.code, retryMessage(latest, p.id, o.error.message), { failedRuns });
      return void m.apply(task.id, { to: "failed", patch: { error: o.error, failedRuns, parts: setPart(latest, part.agent, "failed") }, events: [{ ts, event: "failed", agent: p.id, attempt: part.attempt, code: o.error.code, data: { message: o.error.message } }] });
    }
    m.deps.leases.release(taskLease(task.id, part.agent), part.agent);
    const parts = setPart(latest, part.agent, "done");
    const results = partResults(latest, part.agent, o.result);
    const partDone = { ts, event: "part-done", agent: p.id, attempt: part.attempt };
    // the last part: one commit for the part and the task
    if (this.#finishIfAllDone({ ...latest, parts }, results, [partDone])) return;
    m.patch(task.id, () => ({ parts, result: { results } }), [partDone]);
  }

  /** A running negotiated task whose every part is done is done (with `events` before "done"). */
  #finishIfAllDone(task: TaskRecord, results = resultsOf(task), events: NewTaskEvent[] = []): boolean {
    const parts = task.parts ?? [];
    if (task.state !== "running" || !parts.every((x) => x.state === "done")) return false;
    const result = { parts: parts.map((x) => ({ agent: x.agent, quantity: x.quantity, price: x.price })), results };
    return this.#m.apply(task.id, { to: "done", patch: { parts, result }, events: [...events, { ts: this.#m.clock.now(), event: "done" }] }) !== undefined;
  }

  /** A part's agent let it down: the part is dropped and the rest of the amount negotiated again. */
  #partGone(id: string, agent: string, code: string, message: string, patch: Partial<TaskRecord> = {}): void {
    const m = this.#m;
    const task = m.get(id);
    const part = task?.parts?.find((p) => p.agent === agent);
    if (!task || !part || (part.state !== "awarded" && part.state !== "running")) return;
    m.deps.leases.release(taskLease(id, agent), agent);
    const next = m.apply(id, {
      to: "announced",
      patch: { ...patch, parts: setPart(task, agent, "failed"), excluded: task.excluded.includes(agent) ? task.excluded : [...task.excluded, agent] },
      events: [{ ts: m.clock.now(), event: "reannounced", agent, attempt: part.attempt, code, data: { message, quantity: part.quantity } }],
    });
    if (!next) return;
    m.extendRounds(next);
    m.enqueue(next);
  }

  #rerun(id: string, p: TaskParticipant): void {
    const m = this.#m;
    const task = m.get(id);
    if (!task) return;
    const part = task.parts?.find((x) => x.agent === p.id && (x.state === "awarded" || x.state === "running"));
    if (part) {
      const patch = { parts: task.parts!.map((x) => (x === part ? { ...x, state: "running" as const } : x)) };
      const running = task.state === "running" ? m.patch(id, () => patch) : m.apply(id, { to: "running", patch });
      if (running) m.track(this.#runPart(running, p, { ...part, state: "running" }));
      return;
    }
    if (task.winner !== p.id) return;
    const ev = [{ ts: m.clock.now(), event: "resumed", agent: p.id, attempt: task.attempt }];
    const running = task.state === "running" ? (m.note(id, ev), task) : m.apply(id, { to: "running", ifAttempt: task.attempt, events: ev });
    if (running) m.track(this.#run(running, p, task.attempt));
  }

  #await(agent: string, id: string): void {
    let ids = this.#awaiting.get(agent);
    if (!ids) this.#awaiting.set(agent, (ids = new Set()));
    ids.add(id);
    this.agentAlive(agent); // it may be running already
  }

  #leaseExpired(lease: LeaseRecord): void {
    const parsed = parseLease(lease.resource);
    if (!parsed || this.#m.closed) return;
    const task = this.#m.get(parsed.taskId);
    if (!task) return;
    const message = `${lease.holder} stopped renewing its task lease (died, hung or cut off)`;
    if (parsed.agent !== undefined) this.#partGone(task.id, parsed.agent, "LOS_E_TASK_LEASE_EXPIRED", message);
    else if (task.winner === lease.holder) this.reannounce(task.id, task.attempt, lease.holder, "LOS_E_TASK_LEASE_EXPIRED", message);
  }

  #stale(id: string, agent: string, attempt: number): void {
    this.#m.note(id, [{ ts: this.#m.clock.now(), event: "stale-outcome", agent, attempt, code: "LOS_E_TASK_STALE", data: { message: "an outcome of an earlier attempt was ignored" } }]);
  }
}

/** why a failed run is tried again: the agent, which retry of how many, and the agent's own message */
function retryMessage(task: TaskRecord, agent: string, message: string): string {
  const n = (task.failedRuns ?? 0) + 1;
  return `the run by ${agent} failed (retry ${n} of ${task.retries ?? 0}): ${message}`;
}

function setPart(task: TaskRecord, agent: string, state: TaskPart["state"]): TaskPart[] {
  return (task.parts ?? []).map((p) => (p.agent === agent && (p.state === "awarded" || p.state === "running") ? { ...p, state } : p));
}

function resultsOf(task: TaskRecord): Record<string, unknown> {
  return (task.result as { results?: Record<string, unknown> } | undefined)?.results ?? {};
}

function partResults(task: TaskRecord, agent: string, result: unknown): Record<string, unknown> {
  return { ...resultsOf(task), [agent]: result };
}
