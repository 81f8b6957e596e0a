/**
 * The agent supervisor: runs every agent through the host its isolation level names, keeps its
 * lifecycle (created → starting → running → stopping → stopped, or failed), watches heartbeats
 * and heap, and on an unasked-for exit drives the agent's actuators to their safe values, then
 * restarts it as its restart policy says (OTP one_for_one, backoff, restart intensity). It hands
 * each host checked calls and the readings the agent's grants allow, and accounts for each agent.
 * Every timer runs on the injected clock. See docs/supervisor.md.
 */
import { LosError, toLosError } from "../core/errors.js";
import type { AgentAnswer, AgentQuestion } from "../core/task-types.js";
import type { Logger, Reading } from "../core/types.js";
import type { ResolvedManifest } from "../config/agent-manifest.js";
import type { AgentSnapshot } from "../store/agents-repo.js";
import type { Agent } from "./agent.js";
import type { CpuOver } from "./isolation/cpu-share.js";
import type { AgentExit, AgentUsage } from "./hosts/agent-host.js";
import { HostRegistry } from "./hosts/registry.js";
import { SnapshotWriter } from "./snapshot-writer.js";
import { checkedCalls } from "./supervisor-calls.js";
import { foldUsage, newRecord, snapshotOf, type AgentState, type Supervised } from "./supervised.js";
import type { RunningAgent, SupervisedStatus, SupervisorDeps } from "./supervisor-deps.js";
import { Watchdog } from "./watchdog.js";

export type { AgentState };
export type { RunningAgent, SupervisedStatus, SupervisorDeps };

export class Supervisor {
  #deps: SupervisorDeps;
  #log: Logger;
  #agents = new Map<string, Supervised>();
  #codeAgents = new Map<string, Agent>();
  #registry: HostRegistry;
  #watchdog: Watchdog;
  /** pointId → agents whose grants let them read it; rebuilt lazily when agents change */
  #readers = new Map<string, Supervised[]>();
  #pending = new Set<Promise<unknown>>();
  #started = false;
  #closed = false;
  #snapshots: SnapshotWriter;

  constructor(deps: SupervisorDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ component: "supervisor" });
    this.#watchdog = new Watchdog(deps.clock);
    this.#snapshots = new SnapshotWriter(deps.clock, this.#log, deps.persist, deps.persistEveryMs ?? 2000, () => this.stats());
    this.#registry = new HostRegistry(
      {
        clock: deps.clock,
        logger: deps.logger,
        live: deps.live,
        codeAgent: (id) => this.#codeAgents.get(id),
        grantsOf: (id) => this.#agents.get(id)?.grants,
        ...(deps.sandbox ? { sandbox: deps.sandbox } : {}),
      },
      deps.loaders,
    );
  }

  /** Supervise an agent; an agent object (code agents) runs in-process. Starts it if the supervisor runs. */
  add(manifest: ResolvedManifest, agent?: Agent): void {
    if (this.#closed) throw new LosError("LOS_E_CLOSED", "the supervisor is stopped");
    if (this.#agents.has(manifest.id)) throw new LosError("LOS_E_AGENT_CONFIG", `agent "${manifest.id}" is already supervised`);
    if (agent) this.#codeAgents.set(manifest.id, agent);
    const rec = newRecord(manifest, this.#deps.grants(manifest), this.#deps.clock);
    this.#agents.set(manifest.id, rec);
    this.#readers.clear();
    this.#setState(rec, "created");
    if (this.#started) this.#track(this.#startRun(rec).catch((err: unknown) => this.#startFailed(rec, err)));
  }

  /** Start every agent; rejects with the first agent's start error (the gateway then stops). */
  async start(): Promise<void> {
    this.#started = true;
    this.#snapshots.start();
    const results = await Promise.allSettled([...this.#agents.values()].map((rec) => this.#startRun(rec)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  /** Hot path: hand each agent the readings its grants allow, one batch per agent. */
  deliver(readings: readonly Reading[]): void {
    let batches: Map<Supervised, Reading[]> | undefined;
    for (const r of readings) {
      for (const rec of this.#readersOf(r.point)) {
        if (rec.state !== "running") continue;
        batches ??= new Map();
        const batch = batches.get(rec);
        if (batch) batch.push(r);
        else batches.set(rec, [r]);
      }
    }
    if (!batches) return;
    for (const [rec, batch] of batches) {
      rec.counters.messagesIn += batch.length;
      rec.host?.deliver(batch);
    }
  }

  stats(): AgentSnapshot[] {
    return [...this.#agents.values()].map((rec) => snapshotOf(rec, this.#deps.clock.now()));
  }

  statsOf(id: string): AgentSnapshot | undefined {
    const rec = this.#agents.get(id);
    return rec && snapshotOf(rec, this.#deps.clock.now());
  }

  /**
   * Ask a running agent a task question through its host; rejects with LOS_E_AGENT_UNKNOWN when it
   * is not running (or stops before it answers), with the signal's reason when that aborts first.
   */
  ask<Q extends AgentQuestion>(agentId: string, question: Q, signal: AbortSignal): Promise<AgentAnswer<Q>> {
    const rec = this.#agents.get(agentId);
    if (!rec?.host || rec.state !== "running") return Promise.reject(new LosError("LOS_E_AGENT_UNKNOWN", `agent "${agentId}" is not running`));
    return rec.host.ask(question, signal);
  }

  /** The manifest's skills and those the running agent declared (its task types). */
  skillsOf(agentId: string): string[] {
    const rec = this.#agents.get(agentId);
    if (!rec) return [];
    return [...new Set([...(rec.manifest.skills), ...(rec.state === "running" ? (rec.host?.skills() ?? []) : [])])];
  }

  /** Agents running now, with their tenant and skills. */
  running(): RunningAgent[] {
    return [...this.#agents.values()].filter((r) => r.state === "running" && r.host).map((r) => ({ id: r.manifest.id, tenant: r.manifest.tenant, skills: this.skillsOf(r.manifest.id) }));
  }

  /** Resolves when starts have finished and in-process agents have no queued work (tests, run()). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    await this.#registry.settled();
  }

  /** Stop every agent (asked for: no dead-man, no restart) and the hosts. */
  async stop(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const grace = this.#deps.stopGraceMs ?? 2000;
    await Promise.all([...this.#agents.values()].map((rec) => this.#stopRun(rec, grace)));
    await Promise.allSettled([...this.#pending]);
    this.#watchdog.close();
    await this.#registry.close();
    this.#snapshots.close();
  }

  // ---- lifecycle ----

  async #startRun(rec: Supervised): Promise<void> {
    const gen = ++rec.run;
    const m = rec.manifest;
    this.#setState(rec, "starting");
    const factory = await this.#registry.factory(m.isolation);
    if (rec.run !== gen) return;
    const alive = () => rec.run === gen && (rec.state === "running" || rec.state === "starting");
    const host = factory({
      manifest: m,
      configDir: this.#deps.configDir,
      dataDir: this.#deps.dataDir,
      clock: this.#deps.clock,
      logger: this.#deps.logger.child({ agent: m.id }),
      ...this.#deps.hostExtras,
      snapshot: () => this.#readable(rec),
      yieldAtStart: rec.yieldedEndAt !== undefined && this.#deps.clock.monotonic() - rec.yieldedEndAt < m.restart.withinMs,
      calls: checkedCalls(this.#deps, { ...rec, alive, flooded: (what) => this.#flooded(rec, gen, what) }),
      events: {
        heartbeat: (usage) => rec.run === gen && this.#onHeartbeat(rec, usage),
        exited: (reason) => rec.run === gen && this.#onExit(rec, reason),
        cpuOver: (over) => rec.run === gen && this.#onCpuOver(rec, over),
      },
    });
    rec.host = host;
    await host.start();
    if (rec.run !== gen) return;
    rec.startedAt = this.#deps.clock.now();
    if (m.isolation !== "in-process") {
      // in-process heartbeats only say the gateway's own loop turns: their watchdog is the decision timeout
      // a worker or process agent is ready now: its silence counts from here (its first heartbeat may
      // have come before this line and found nobody watching); an external one may connect later
      const startedHere = m.isolation === "worker" || m.isolation === "process";
      this.#watchdog.watch(
        m.id,
        m.watchdogMs,
        m.heartbeatMs,
        () => {
          if (rec.run === gen) this.#kill(rec, { code: "LOS_E_AGENT_HUNG", message: `no heartbeat for ${m.watchdogMs} ms` });
        },
        startedHere,
      );
    }
    this.#setState(rec, "running");
    // an isolated agent keeps its own copy of the values it may read: start it with the current
    // ones, or a (re)started agent is blind until each value next changes
    if (m.isolation !== "in-process") {
      const now = this.#readable(rec);
      if (now.length > 0) host.deliver(now);
    }
  }

  /** The latest reading of every point the agent may read. */
  #readable(rec: Supervised): Reading[] {
    const out: Reading[] = [];
    for (const [point, r] of this.#deps.live.entries()) if (rec.grants.canRead(point)) out.push(r);
    return out;
  }

  #startFailed(rec: Supervised, err: unknown): void {
    const e = toLosError(err, "LOS_E_AGENT_CONFIG");
    if (rec.state === "stopping" || rec.state === "stopped") return;
    this.#onExit(rec, { code: e.code, message: e.message });
  }

  async #stopRun(rec: Supervised, graceMs: number): Promise<void> {
    if (rec.restartTimer) this.#deps.clock.clearTimeout(rec.restartTimer);
    rec.restartTimer = undefined;
    this.#watchdog.unwatch(rec.manifest.id);
    const host = rec.host;
    rec.run++;
    rec.host = undefined;
    if (rec.state === "failed" || rec.state === "stopped") return;
    const was = rec.state;
    this.#setState(rec, "stopping");
    if (was === "running") this.#hook(() => this.#deps.onExit?.(rec.manifest.id, { code: "LOS_E_CLOSED", message: `agent "${rec.manifest.id}" was stopped` }));
    if (host) {
      foldUsage(rec, host.usage());
      await host.stop(graceMs);
    }
    this.#setState(rec, "stopped");
  }

  #kill(rec: Supervised, reason: AgentExit): void {
    this.#log.warn({ agent: rec.manifest.id, code: reason.code }, reason.message);
    rec.host?.kill(reason);
  }

  #flooded(rec: Supervised, gen: number, what: string): void {
    if (rec.run !== gen) return;
    this.#kill(rec, { code: "LOS_E_AGENT_RATE_LIMITED", message: `kept sending ${what} far above its limits` });
  }

  #onHeartbeat(rec: Supervised, usage: Partial<AgentUsage>): void {
    this.#watchdog.beat(rec.manifest.id);
    this.#hook(() => this.#deps.onHeartbeat?.(rec.manifest.id));
    if (usage.heapBytes !== undefined) {
      rec.heapBytes = usage.heapBytes;
      const limit = rec.manifest.limits.heapMB;
      if (usage.heapBytes > limit * 1024 * 1024) {
        this.#kill(rec, { code: "LOS_E_AGENT_OUT_OF_MEMORY", message: `heap ${(usage.heapBytes / 1048576).toFixed(1)} MB is over limits.heapMB (${limit})` });
      }
    }
  }

  #onCpuOver(rec: Supervised, over: CpuOver): void {
    rec.cpuYields++;
    const now = over.how === "idle" ? "runs at idle priority" : over.how === "nice" ? "runs at nice 19" : "could not be demoted";
    this.#log.warn({ agent: rec.manifest.id, code: "LOS_E_AGENT_CPU_SHARE", percent: over.percent, sharePercent: over.sharePercent }, `used ${over.percent} % of a core, over its share of ${over.sharePercent} %; it ${now}`);
    this.#snapshots.soon();
  }

  /** An unasked-for end: dead-man first, then restart as the policy says. */
  #onExit(rec: Supervised, reason: AgentExit): void {
    const { clock } = this.#deps;
    const m = rec.manifest;
    if (rec.state === "stopping" || rec.state === "stopped" || rec.state === "failed") return;
    const gen = ++rec.run;
    this.#hook(() => this.#deps.onExit?.(m.id, reason));
    this.#watchdog.unwatch(m.id);
    if (rec.host) foldUsage(rec, rec.host.usage());
    if (rec.host?.yielded) rec.yieldedEndAt = clock.monotonic();
    rec.host = undefined;
    rec.heapBytes = 0;
    rec.lastExit = { code: reason.code, message: reason.message, ts: clock.now() };
    this.#log.error({ agent: m.id, code: reason.code }, `agent ended: ${reason.message}`);
    const safe = this.#deps
      .driveToSafe(m.id, rec.grants, `agent ${m.id} ${reason.code === "LOS_E_CLOSED" ? "ended" : "failed"}`)
      .catch((err: unknown) => this.#log.error({ agent: m.id, err: toLosError(err).message }, "driving to safe values failed"));
    this.#track(safe);
    const decision = rec.intensity.decide(reason.code, clock.monotonic());
    if (!decision.restart) {
      if (decision.why === "intensity") {
        const { maxRestarts, withinMs } = m.restart;
        const message = `more than ${maxRestarts} restarts within ${withinMs} ms; last exit ${reason.code}: ${reason.message}`;
        rec.lastExit = { code: "LOS_E_AGENT_RESTART_LIMIT", message, ts: clock.now() };
        this.#setState(rec, "failed", `LOS_E_AGENT_RESTART_LIMIT: ${message}`);
      } else if (reason.code === "LOS_E_CLOSED") this.#setState(rec, "stopped");
      else this.#setState(rec, "failed", `${reason.code}: ${reason.message}`);
      return;
    }
    rec.restarts++;
    this.#setState(rec, "starting", `${reason.code}: ${reason.message}`);
    rec.restartTimer = clock.setTimeout(() => {
      rec.restartTimer = undefined;
      if (rec.run !== gen) return;
      this.#track(
        safe.then(() => (rec.run === gen ? this.#startRun(rec) : undefined)).catch((err: unknown) => this.#startFailed(rec, err)),
      );
    }, decision.delayMs);
  }


  // ---- status, accounting, persistence ----

  #setState(rec: Supervised, state: AgentState, error?: string): void {
    rec.state = state;
    rec.error = error;
    const status: SupervisedStatus = { state, ts: this.#deps.clock.now(), restarts: rec.restarts };
    if (error !== undefined) status.error = error;
    if (rec.lastExit) status.lastExit = { ...rec.lastExit };
    this.#deps.publishStatus(rec.manifest.id, status);
    this.#snapshots.soon();
  }


  #readersOf(point: string): Supervised[] {
    let readers = this.#readers.get(point);
    if (!readers) {
      readers = [...this.#agents.values()].filter((rec) => rec.grants.canRead(point));
      this.#readers.set(point, readers);
    }
    return readers;
  }

  /** a gateway hook must not break supervision */
  #hook(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log.error({ err: toLosError(err).message }, "an agent hook failed");
    }
  }

  #track(p: Promise<unknown>): void {
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }
}
