/**
 * In-process agents: trusted code (the site's own agents, data policies, agents added in code) run
 * in the gateway's own event loop, all in one AgentRuntime so a thousand of them stay cheap. One
 * ticker per gateway sends every agent's heartbeat and catches a decision that runs longer than
 * limits.decisionTimeoutMs (aborts its signal, reports LOS_E_AGENT_HUNG). A synchronous busy loop
 * cannot be stopped here: it blocks the gateway itself; untrusted code belongs in a worker.
 */
import type { TimerHandle } from "../../core/clock.js";
import { LosError, toLosError } from "../../core/errors.js";
import type { AgentAnswer, AgentQuestion } from "../../core/task-types.js";
import type { Logger } from "../../core/types.js";
import type { Agent } from "../agent.js";
import { createAgentFromConfig } from "../from-config.js";
import { compileGrants, NO_OWNERS } from "../grants.js";
import { AgentRuntime } from "../runtime.js";
import type { AgentExit, AgentHost, AgentUsage, HostFactory, HostOptions, LogLevel } from "./agent-host.js";
import type { HostEnv } from "./registry.js";

/** An agent's ctx.log as calls.log: the supervisor counts and rate-limits its lines. */
function callsLogger(log: (level: LogLevel, obj: object, msg?: string) => void, bindings: Record<string, unknown>): Logger {
  const at =
    (level: LogLevel) =>
    (obj: object | string, msg?: string): void =>
      typeof obj === "string" ? log(level, bindings, obj) : log(level, { ...bindings, ...obj }, msg);
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), child: (b) => callsLogger(log, { ...bindings, ...b }) };
}

class InProcessPool {
  readonly runtime: AgentRuntime;
  #env: HostEnv;
  #hosts = new Map<string, InProcessHost>();
  #ticker: TimerHandle | undefined;

  constructor(env: HostEnv) {
    this.#env = env;
    const missing = (point: string) => ({ ok: false as const, auditId: 0, point, code: "LOS_E_AGENT_UNKNOWN" as const, message: "agent is not running" });
    this.runtime = new AgentRuntime({
      clock: env.clock,
      logger: env.logger,
      live: env.live,
      actuate: (actor, point, value, reason, key) =>
        this.#hosts.get(actor.id)?.options.calls.actuate(point, value, reason, key) ?? Promise.resolve(missing(point)),
      coordinate: async (actor, request) =>
        (await this.#hosts.get(actor.id)?.options.calls.coordinate(request)) ?? { ok: false, code: "LOS_E_AGENT_UNKNOWN", message: `agent "${actor.id}" is not running` },
      publish: async (agentId, sub, payload) => {
        const host = this.#hosts.get(agentId);
        if (!host) throw new LosError("LOS_E_AGENT_UNKNOWN", `agent "${agentId}" is not running`);
        await host.options.calls.publish(sub, payload);
      },
      onFailed: (agent) => this.#hosts.get(agent.id)?.gaveUp(),
      // publications are checked (and counted) once, by the supervisor's calls
      grantsFor: (agent) => {
        const grants = env.grantsOf(agent.id) ?? compileGrants({ capabilities: agent.capabilities }, NO_OWNERS);
        return { canRead: (p) => grants.canRead(p), canPublish: () => true };
      },
      loggerFor: (agent) => {
        const calls = this.#hosts.get(agent.id)?.options.calls;
        return calls ? callsLogger((level, obj, msg) => calls.log(level, obj, msg), {}) : env.logger.child({ agent: agent.id });
      },
    });
    this.runtime.start();
  }

  attach(host: InProcessHost, agent: Agent): void {
    this.#hosts.set(host.id, host);
    this.runtime.add(agent);
    this.#rearm();
  }

  async detach(host: InProcessHost, graceMs: number): Promise<void> {
    if (this.#hosts.get(host.id) !== host) return;
    this.#hosts.delete(host.id);
    const removed = this.runtime.remove(host.id, graceMs);
    this.#rearm();
    await removed;
  }

  settled(): Promise<void> {
    return this.runtime.settled();
  }

  async close(): Promise<void> {
    await Promise.all([...this.#hosts.values()].map((h) => this.detach(h, 0)));
    await this.runtime.stop();
  }

  /** One timer for all in-process agents, at the shortest heartbeat or decision timeout among them. */
  #rearm(): void {
    if (this.#ticker) this.#env.clock.clearTimeout(this.#ticker);
    this.#ticker = undefined;
    let every = Infinity;
    for (const h of this.#hosts.values()) every = Math.min(every, h.options.manifest.heartbeatMs, h.options.manifest.limits.decisionTimeoutMs);
    if (every === Infinity) return;
    const tick = () => {
      const now = this.#env.clock.monotonic();
      for (const h of [...this.#hosts.values()]) h.tick(now);
      this.#ticker = this.#env.clock.setTimeout(tick, every);
      this.#ticker.unref?.();
    };
    this.#ticker = this.#env.clock.setTimeout(tick, every);
    this.#ticker.unref?.();
  }
}

class InProcessHost implements AgentHost {
  readonly kind = "in-process" as const;
  readonly options: HostOptions;
  #pool: InProcessPool;
  #env: HostEnv;
  #running = false;
  /** usage when the run ended (the runtime forgets a removed agent) */
  #final: AgentUsage | undefined;

  constructor(pool: InProcessPool, env: HostEnv, options: HostOptions) {
    this.#pool = pool;
    this.#env = env;
    this.options = options;
  }

  get id(): string {
    return this.options.manifest.id;
  }

  async start(): Promise<void> {
    const { manifest, configDir } = this.options;
    // code agents are reused across restarts; config agents are built afresh (a clean state)
    let agent: Agent;
    try {
      agent = this.#env.codeAgent(manifest.id) ?? (await createAgentFromConfig(manifest.config, configDir));
    } catch (err) {
      throw toLosError(err, "LOS_E_AGENT_CONFIG");
    }
    this.#final = undefined;
    this.#pool.attach(this, agent);
    this.#running = true;
  }

  deliver(readings: Parameters<AgentHost["deliver"]>[0]): void {
    if (this.#running) this.#pool.runtime.deliverTo(this.id, readings);
  }

  async stop(graceMs: number): Promise<void> {
    if (this.#running) this.#final = this.usage();
    this.#running = false;
    await this.#pool.detach(this, graceMs);
  }

  kill(reason: AgentExit): void {
    this.#end(reason);
  }

  usage(): AgentUsage {
    if (this.#final) return this.#final;
    const s = this.#pool.runtime.statsOf(this.id);
    return { cpuMs: s?.cpuMs ?? 0, heapBytes: 0, decisions: s?.decisions ?? 0, failures: s?.failures ?? 0 };
  }

  ask<Q extends AgentQuestion>(question: Q, signal: AbortSignal): Promise<AgentAnswer<Q>> {
    if (!this.#running) return Promise.reject(new LosError("LOS_E_AGENT_UNKNOWN", `agent "${this.id}" is not running`));
    return this.#pool.runtime.ask(this.id, question, signal);
  }

  skills(): readonly string[] {
    return this.#running ? (this.#pool.runtime.get(this.id)?.skills ?? []) : [];
  }

  /** the runtime gave up after too many failed decisions in a row */
  gaveUp(): void {
    const last = this.#pool.runtime.statsOf(this.id)?.lastError;
    this.#end({ code: "LOS_E_AGENT_FAILED", message: last?.message ?? "too many failed decisions" });
  }

  tick(now: number): void {
    if (!this.#running) return;
    const since = this.#pool.runtime.busySince(this.id);
    const limit = this.options.manifest.limits.decisionTimeoutMs;
    if (since !== undefined && now - since > limit) {
      this.#end({ code: "LOS_E_AGENT_HUNG", message: `a decision ran longer than limits.decisionTimeoutMs (${limit} ms)` });
      return;
    }
    this.options.events.heartbeat(this.usage());
  }

  #end(reason: AgentExit): void {
    if (!this.#running) return;
    this.#final = this.usage();
    this.#running = false;
    void this.#pool.detach(this, 0);
    // reported after the current call returns: the supervisor may restart from its handler
    queueMicrotask(() => this.options.events.exited(reason));
  }
}

/** The in-process host factory of one gateway: one shared runtime, created on first use. */
export function inProcessHostFactory(env: HostEnv): HostFactory {
  let pool: InProcessPool | undefined;
  env.track({ settled: async () => pool?.settled(), close: async () => pool?.close() });
  return (options) => new InProcessHost((pool ??= new InProcessPool(env)), env, options);
}
