/**
 * Hosts agents in-process: hands each its context, feeds it readings (coalesced to the latest per
 * point while it is busy), wakes it on its timer, runs its tasks, and keeps one failing agent from
 * hurting the rest. After too many consecutive failures an agent is stopped as failed and `onFailed`
 * tells its owner (the in-process host reports it to the supervisor, the isolated shell to the gateway).
 */
import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import type { Clock, TimerHandle } from "../core/clock.js";
import { LosError, toLosError } from "../core/errors.js";
import type { LiveValues } from "../core/live-values.js";
import type { AgentAnswer, AgentQuestion, CoordinationReply, CoordinationRequest } from "../core/task-types.js";
import type { AgentStatusPayload } from "../core/topics.js";
import type { Actor, Logger, Reading, Value } from "../core/types.js";
import type { ActuationResult } from "../devices/actuation.js";
import { taskName, type Agent, type Perception, type Task } from "./agent.js";
import type { AgentContext } from "./context.js";
import type { Coordinate } from "./coordination-helpers.js";
import { compileGrants, NO_OWNERS } from "./grants.js";
import { AgentAsks } from "./runtime-asks.js";
import { agentLinks } from "./runtime-context.js";

export type AgentState = AgentStatusPayload["state"];

export interface AgentStats {
  id: string;
  tenant?: string;
  state: AgentState;
  decisions: number;
  failures: number;
  actuations: number;
  refused: number;
  /** assigned tasks and task runs that ended well */
  tasksDone: number;
  /** task runs that failed (assigned tasks that throw count as failed decisions) */
  tasksFailed: number;
  /** bids made on calls for proposals */
  bids: number;
  /** time spent in the synchronous part of decisions and tasks, ms */
  cpuMs: number;
  lastError?: { code: string; message: string; ts: number };
}

export interface RuntimeDeps {
  clock: Clock;
  logger: Logger;
  live: LiveValues;
  /** `idempotencyKey` is set on writes of task runs (task-context.ts) */
  actuate(actor: Actor, point: string, value: Value, reason: string, idempotencyKey?: string): Promise<ActuationResult>;
  publish(agentId: string, subtopic: string, payload: unknown): Promise<void>;
  /** leases, facts, intents, tasks; absent (standalone run()): every request is refused, coded */
  coordinate?(actor: Actor, request: CoordinationRequest): Promise<CoordinationReply>;
  onStatus?(agentId: string, status: AgentStatusPayload): void;
  /** an agent failed for good: the gateway makes its actuators safe */
  onFailed?(agent: Agent): void;
  /** consecutive decision failures before the agent is marked failed (default 5) */
  maxConsecutiveFailures?: number;
  /** what an agent may read and publish (default: its capabilities, no tenant visibility) */
  grantsFor?(agent: Agent): RuntimeGrants;
  /** the logger an agent's ctx.log writes to (default: logger.child({ agent })) */
  loggerFor?(agent: Agent): Logger;
}

export interface RuntimeGrants {
  canRead(pointId: string): boolean;
  canPublish(subtopic: string): boolean;
}

interface Hosted {
  agent: Agent;
  ctx: AgentContext;
  canRead: (pointId: string) => boolean;
  canPublish: (sub: string) => boolean;
  /** taken out of the runtime: its context refuses everything from now on */
  removed: boolean;
  /** monotonic time the running decision started, undefined while idle */
  busySince: number | undefined;
  abort: AbortController;
  pending: Map<string, Reading>;
  trigger: Perception["trigger"] | undefined;
  busy: boolean;
  timer: TimerHandle | undefined;
  consecutiveFailures: number;
  idle: Promise<void>;
  stats: AgentStats;
  asks: AgentAsks;
  coordinate: Coordinate;
}

export class AgentRuntime {
  #deps: RuntimeDeps;
  #hosted = new Map<string, Hosted>();
  /** pointId → agents that may read it; rebuilt lazily when agents change */
  #readers = new Map<string, Hosted[]>();
  #running = false;

  constructor(deps: RuntimeDeps) {
    this.#deps = deps;
  }

  add(agent: Agent): void {
    if (this.#hosted.has(agent.id)) throw new LosError("LOS_E_AGENT_CONFIG", `agent "${agent.id}" is already hosted`);
    const abort = new AbortController();
    // every question in flight (bids, awards, queued runs) listens on it and removes its listener when
    // settled; many tasks at once are not a leak, so Node's warning at 11 listeners would be noise
    setMaxListeners(0, abort.signal);
    // without grantsFor (standalone run(), the shell inside an isolated agent) capabilities alone decide:
    // whoever feeds this runtime has filtered what the agent may see
    const grants = this.#deps.grantsFor?.(agent) ?? compileGrants({ capabilities: agent.capabilities }, NO_OWNERS);
    const h: Hosted = {
      agent,
      abort,
      canRead: (p) => grants.canRead(p),
      canPublish: (sub) => grants.canPublish(sub),
      removed: false,
      busySince: undefined,
      ctx: undefined as unknown as AgentContext,
      pending: new Map(),
      trigger: undefined,
      busy: false,
      timer: undefined,
      consecutiveFailures: 0,
      idle: Promise.resolve(),
      stats: { id: agent.id, state: "created", decisions: 0, failures: 0, actuations: 0, refused: 0, tasksDone: 0, tasksFailed: 0, bids: 0, cpuMs: 0 },
      asks: undefined as unknown as AgentAsks,
      coordinate: undefined as unknown as Coordinate,
    };
    if (agent.tenant !== undefined) h.stats.tenant = agent.tenant;
    const links = agentLinks(this.#deps, { ...h, removed: () => h.removed, signal: abort.signal, wake: () => this.#schedule(h, "timer") });
    h.ctx = links.ctx;
    h.coordinate = links.coordinate;
    h.asks = new AgentAsks({ agent, ctx: links.ctx, signal: abort.signal, stats: h.stats, actuate: links.actuate, coordinate: links.coordinate });
    this.#hosted.set(agent.id, h);
    this.#readers.clear();
    this.#setState(h, "created");
    if (this.#running) this.#startOne(h);
  }

  get(id: string): Agent | undefined {
    return this.#hosted.get(id)?.agent;
  }

  /**
   * Take one agent out: abort its signal, stop its timer, detach it. Resolves when its running
   * decision ended or after `graceMs` on the clock, whichever is first: a decision that never ends
   * is abandoned (its context refuses everything from now on). The agent may be added again.
   */
  async remove(id: string, graceMs = 0): Promise<void> {
    const h = this.#hosted.get(id);
    if (!h) return;
    this.#hosted.delete(id);
    this.#readers.clear();
    h.removed = true;
    if (h.timer) this.#deps.clock.clearTimeout(h.timer);
    if (h.stats.state !== "failed") h.stats.state = "stopping";
    h.abort.abort(new LosError("LOS_E_CLOSED", `agent "${id}" stopped`));
    if (h.busy && graceMs > 0) {
      let timer: TimerHandle | undefined;
      await Promise.race([h.idle, new Promise<void>((resolve) => (timer = this.#deps.clock.setTimeout(resolve, graceMs)))]);
      if (timer) this.#deps.clock.clearTimeout(timer);
    }
    if (h.stats.state !== "failed") h.stats.state = "stopped";
    if (h.agent.context === h.ctx) h.agent.attach(undefined);
  }

  /**
   * A task question to a running agent (runtime-asks.ts): rejects with LOS_E_AGENT_UNKNOWN when it
   * is not running or leaves before answering, with the signal's reason when that aborts first.
   */
  ask<Q extends AgentQuestion>(id: string, question: Q, signal?: AbortSignal): Promise<AgentAnswer<Q>> {
    const h = this.#hosted.get(id);
    if (!h || h.stats.state !== "running") return Promise.reject(new LosError("LOS_E_AGENT_UNKNOWN", `agent "${id}" is not running`));
    return h.asks.ask(question, signal);
  }

  /** Readings for one agent only (the supervisor has filtered them by its grants). */
  deliverTo(id: string, readings: readonly Reading[]): void {
    const h = this.#hosted.get(id);
    if (!h || !this.#running) return;
    for (const r of readings) h.pending.set(r.point, r);
    if (readings.length > 0) this.#schedule(h, "reading");
  }

  /** Monotonic time the agent's current decision started; undefined while it is idle. */
  busySince(id: string): number | undefined {
    return this.#hosted.get(id)?.busySince;
  }

  statsOf(id: string): AgentStats | undefined {
    const h = this.#hosted.get(id);
    return h && { ...h.stats };
  }

  agents(): Agent[] {
    return [...this.#hosted.values()].map((h) => h.agent);
  }

  stats(): AgentStats[] {
    return [...this.#hosted.values()].map((h) => ({ ...h.stats }));
  }

  start(): void {
    this.#running = true;
    for (const h of this.#hosted.values()) this.#startOne(h);
  }

  /** Hot path: called with every batch of readings the devices produce. */
  deliver(readings: readonly Reading[]): void {
    if (!this.#running) return;
    for (const r of readings) {
      const readers = this.#readersOf(r.point);
      for (const h of readers) {
        h.pending.set(r.point, r);
        this.#schedule(h, "reading");
      }
    }
  }

  /** Resolves when every agent has no queued work (tests and `run()` use it). */
  async settled(): Promise<void> {
    for (;;) {
      // a trigger left on a failed or stopped agent will never run: it is not work to wait for
      const busy = [...this.#hosted.values()].filter((h) => h.busy || (h.trigger !== undefined && h.stats.state === "running"));
      if (busy.length === 0) return;
      await Promise.all(busy.map((h) => h.idle));
    }
  }

  async stop(): Promise<void> {
    this.#running = false;
    for (const h of this.#hosted.values()) {
      if (h.stats.state === "running" || h.stats.state === "starting") this.#setState(h, "stopping");
      if (h.timer) this.#deps.clock.clearTimeout(h.timer);
      h.abort.abort(new LosError("LOS_E_CLOSED", "agent runtime stopped"));
    }
    await Promise.all([...this.#hosted.values()].map((h) => h.idle));
    for (const h of this.#hosted.values()) {
      if (h.stats.state !== "failed") this.#setState(h, "stopped");
      h.agent.attach(undefined);
    }
  }

  #readersOf(point: string): Hosted[] {
    let readers = this.#readers.get(point);
    if (!readers) {
      readers = [...this.#hosted.values()].filter((h) => h.canRead(point));
      this.#readers.set(point, readers);
    }
    return readers;
  }

  #startOne(h: Hosted): void {
    if (h.stats.state === "running" || h.stats.state === "failed") return;
    this.#setState(h, "starting");
    h.agent.attach(h.ctx);
    this.#setState(h, "running");
    this.#schedule(h, "start");
    this.#armTimer(h);
  }

  #armTimer(h: Hosted): void {
    const every = h.agent.everyMs;
    if (!every || !this.#running) return;
    h.timer = this.#deps.clock.setTimeout(() => {
      if (h.stats.state !== "running") return;
      this.#schedule(h, "timer");
      this.#armTimer(h);
    }, every);
    h.timer.unref?.();
  }

  #schedule(h: Hosted, trigger: Perception["trigger"]): void {
    if (h.stats.state !== "running") return;
    if (h.trigger === undefined || trigger === "start") h.trigger = trigger;
    if (!h.busy) {
      h.busy = true;
      h.idle = new Promise((resolve) => setImmediate(() => void this.#drain(h).finally(resolve)));
    }
  }

  /** Run decisions until nothing is pending; one at a time per agent. */
  async #drain(h: Hosted): Promise<void> {
    try {
      while (h.trigger !== undefined && h.stats.state === "running") {
        const perception: Perception = { trigger: h.trigger, readings: [...h.pending.values()] };
        h.trigger = undefined;
        h.pending.clear();
        h.busySince = this.#deps.clock.monotonic();
        await this.#runGuarded(h, async () => {
          for (const task of h.agent.takeTasks()) await this.#runAssigned(h, task);
          const decide = h.agent.decideFn;
          if (decide) {
            h.stats.decisions++;
            await this.#timed(h, () => decide(perception, h.ctx));
          }
        });
        h.busySince = undefined;
      }
    } finally {
      h.busySince = undefined;
      h.busy = false;
      if (h.stats.state !== "running") {
        h.trigger = undefined;
        h.pending.clear();
      }
    }
  }

  /**
   * A task given in code (`agent.assignTask`): run at once, reported to the task layer as
   * `task.local` so `llmagentos tasks` shows it; a throw fails the decision it ran in, as before.
   */
  async #runAssigned(h: Hosted, task: Task): Promise<void> {
    const name = taskName(task);
    const report = this.#deps.coordinate ? (phase: "running" | "done" | "failed", localId: string, err?: unknown) => {
      const request: CoordinationRequest = { op: "task.local", localId, name, phase };
      if (err !== undefined) request.error = { code: toLosError(err, "LOS_E_AGENT_FAILED").code, message: toLosError(err).message };
      void h.coordinate(request).then((r) => r.ok || h.ctx.log.debug({ task: name, code: r.code }, "task not recorded"));
    } : undefined;
    const localId = `${h.agent.id}:${randomUUID()}`;
    report?.("running", localId);
    try {
      await this.#timed(h, () => (typeof task === "function" ? task(h.ctx) : task.run(h.ctx)));
    } catch (err) {
      report?.("failed", localId, err);
      throw err;
    }
    h.stats.tasksDone++;
    report?.("done", localId);
    h.ctx.log.info({ task: name }, "task done");
  }

  /** CPU use of an in-process agent: the synchronous part of each call (awaited I/O is not its CPU). */
  #timed(h: Hosted, fn: () => unknown): unknown {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      h.stats.cpuMs += performance.now() - t0;
    }
  }

  async #runGuarded(h: Hosted, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
      h.consecutiveFailures = 0;
    } catch (err) {
      if (h.abort.signal.aborted || h.removed) return;
      const e = toLosError(err, "LOS_E_AGENT_FAILED");
      h.consecutiveFailures++;
      h.stats.failures++;
      h.stats.lastError = { code: "LOS_E_AGENT_FAILED", message: e.message, ts: this.#deps.clock.now() };
      h.ctx.log.error({ code: "LOS_E_AGENT_FAILED", err: e.message }, "agent decision failed");
      if (h.consecutiveFailures >= (this.#deps.maxConsecutiveFailures ?? 5)) {
        this.#setState(h, "failed", e.message);
        if (h.timer) this.#deps.clock.clearTimeout(h.timer);
        h.abort.abort(e);
        this.#deps.onFailed?.(h.agent);
      }
    }
  }

  #setState(h: Hosted, state: AgentState, error?: string): void {
    if (h.removed) return;
    h.stats.state = state;
    const status: AgentStatusPayload = { state, ts: this.#deps.clock.now() };
    if (error !== undefined) status.error = error;
    this.#deps.onStatus?.(h.agent.id, status);
  }
}
