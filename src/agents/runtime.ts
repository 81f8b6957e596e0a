/**
 * Hosts agents in-process: hands each its context, feeds it readings (coalesced to the latest per
 * point while it is busy), wakes it on its timer, runs its tasks, and keeps one failing agent from
 * hurting the rest. After too many consecutive failures an agent is stopped as failed and the
 * gateway drives its actuators to their safe values.
 */
import type { Clock, TimerHandle } from "../core/clock.js";
import { LosError, toLosError } from "../core/errors.js";
import type { LiveValues } from "../core/live-values.js";
import { compilePointPatterns, type PointMatcher } from "../core/point-pattern.js";
import type { AgentStatusPayload } from "../core/topics.js";
import type { Actor, Logger, Reading, Value } from "../core/types.js";
import type { ActuationResult } from "../devices/actuation.js";
import { taskName, type Agent, type Perception } from "./agent.js";
import type { AgentContext } from "./context.js";

export type AgentState = AgentStatusPayload["state"];

export interface AgentStats {
  id: string;
  tenant?: string;
  state: AgentState;
  decisions: number;
  failures: number;
  actuations: number;
  refused: number;
  tasksDone: number;
  lastError?: { code: string; message: string; ts: number };
}

export interface RuntimeDeps {
  clock: Clock;
  logger: Logger;
  live: LiveValues;
  actuate(actor: Actor, point: string, value: Value, reason: string): Promise<ActuationResult>;
  publish(agentId: string, subtopic: string, payload: unknown): Promise<void>;
  onStatus?(agentId: string, status: AgentStatusPayload): void;
  /** an agent failed for good: the gateway makes its actuators safe */
  onFailed?(agent: Agent): void;
  /** consecutive decision failures before the agent is marked failed (default 5) */
  maxConsecutiveFailures?: number;
}

interface Hosted {
  agent: Agent;
  ctx: AgentContext;
  canRead: PointMatcher;
  canPublish: (sub: string) => boolean;
  abort: AbortController;
  pending: Map<string, Reading>;
  trigger: Perception["trigger"] | undefined;
  busy: boolean;
  timer: TimerHandle | undefined;
  consecutiveFailures: number;
  idle: Promise<void>;
  stats: AgentStats;
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
    const publishable = new Set(agent.capabilities.publish ?? []);
    const h: Hosted = {
      agent,
      abort,
      // an agent may see the points it may write, e.g. to know whether a relay is already on
      canRead: compilePointPatterns([...(agent.capabilities.read ?? []), ...(agent.capabilities.write ?? [])]),
      canPublish: (sub) => sub === "actions" || publishable.has(sub) || publishable.has("*"),
      ctx: undefined as unknown as AgentContext,
      pending: new Map(),
      trigger: undefined,
      busy: false,
      timer: undefined,
      consecutiveFailures: 0,
      idle: Promise.resolve(),
      stats: { id: agent.id, state: "created", decisions: 0, failures: 0, actuations: 0, refused: 0, tasksDone: 0 },
    };
    if (agent.tenant !== undefined) h.stats.tenant = agent.tenant;
    h.ctx = this.#makeContext(h);
    this.#hosted.set(agent.id, h);
    this.#readers.clear();
    this.#setState(h, "created");
    if (this.#running) this.#startOne(h);
  }

  get(id: string): Agent | undefined {
    return this.#hosted.get(id)?.agent;
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
        await this.#runGuarded(h, async () => {
          for (const task of h.agent.takeTasks()) {
            if (typeof task === "function") await task(h.ctx);
            else await task.run(h.ctx);
            h.stats.tasksDone++;
            h.ctx.log.info({ task: taskName(task) }, "task done");
          }
          const decide = h.agent.decideFn;
          if (decide) {
            h.stats.decisions++;
            await decide(perception, h.ctx);
          }
        });
      }
    } finally {
      h.busy = false;
      if (h.stats.state !== "running") {
        h.trigger = undefined;
        h.pending.clear();
      }
    }
  }

  async #runGuarded(h: Hosted, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
      h.consecutiveFailures = 0;
    } catch (err) {
      if (h.abort.signal.aborted) return;
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
    h.stats.state = state;
    const status: AgentStatusPayload = { state, ts: this.#deps.clock.now() };
    if (error !== undefined) status.error = error;
    this.#deps.onStatus?.(h.agent.id, status);
  }

  #makeContext(h: Hosted): AgentContext {
    const { clock, live, logger } = this.#deps;
    const actor: Actor = { kind: "agent", id: h.agent.id };
    if (h.agent.tenant !== undefined) actor.tenant = h.agent.tenant;
    const read = (point: string): Reading | undefined => {
      if (!h.canRead(point)) {
        throw new LosError("LOS_E_READ_NOT_PERMITTED", `agent "${h.agent.id}" may not read ${point}`, { details: { point } });
      }
      return live.get(point);
    };
    return {
      agentId: h.agent.id,
      clock,
      log: logger.child({ agent: h.agent.id }),
      signal: h.abort.signal,
      read,
      value: (point) => {
        const r = read(point);
        return r && r.quality === "good" && r.value !== null ? r.value : undefined;
      },
      actuate: async (point, value, reason) => {
        const result = await this.#deps.actuate(actor, point, value, reason);
        if (result.ok) h.stats.actuations++;
        else h.stats.refused++;
        return result;
      },
      publish: async (sub, payload) => {
        if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(sub) || !h.canPublish(sub)) {
          throw new LosError("LOS_E_PUBLISH_NOT_PERMITTED", `agent "${h.agent.id}" may not publish "${sub}"`);
        }
        await this.#deps.publish(h.agent.id, sub, payload);
      },
      wake: () => this.#schedule(h, "timer"),
    };
  }
}
