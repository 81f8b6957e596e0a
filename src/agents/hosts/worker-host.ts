/**
 * Worker-thread isolation: one worker_threads Worker per agent, with V8 heap limits from the
 * manifest, an empty environment and its own event loop. It contains crashes, memory bombs (the
 * worker dies with ERR_WORKER_OUT_OF_MEMORY, the gateway lives) and, with the supervisor's watchdog,
 * busy loops; it is no boundary for the file system, the network or child processes (use `process`).
 * Everything the worker sends is checked by parseFromAgent; requests go to the supervisor's calls.
 */
import { Worker } from "node:worker_threads";
import type { TimerHandle } from "../../core/clock.js";
import { ERROR_CODES, LosError, errorEnvelope, okEnvelope, toLosError, type ErrorCode } from "../../core/errors.js";
import type { AgentAnswer, AgentQuestion } from "../../core/task-types.js";
import type { Logger, Reading } from "../../core/types.js";
import { PendingAsks } from "../isolation/pending-asks.js";
import { parseFromAgent, type FromAgent, type ToAgent } from "../isolation/messages.js";
import { pipeLines } from "../isolation/output-lines.js";
import { CPU_WINDOW_MS, CpuShareWatch } from "../isolation/cpu-share.js";
import { isOtherThreadOfThisProcess, threadCpuMs, yieldThread } from "../isolation/thread-cpu.js";
import { chooseWorkerRuntime, workerEntry, workerLimits, type WorkerRuntime } from "../isolation/worker-setup.js";
import type { AgentExit, AgentHost, AgentUsage, HostFactory, HostOptions } from "./agent-host.js";

export interface WorkerHostSettings {
  /** which code the worker runs; default: bin/runtime.mjs chooseRuntime() (dist/ when fresh) */
  runtime?: WorkerRuntime | (() => WorkerRuntime | Promise<WorkerRuntime>);
  /** longest wait for `ready` (default 10 s: a tsx worker on a loaded Pi takes a second or two) */
  startTimeoutMs?: number;
  /** consecutive malformed messages after which the agent is killed (default 100) */
  maxMalformedInRow?: number;
  /** window over which the thread's CPU is held against its share (default 500 ms; two in a row over it make it yield) */
  cpuWindowMs?: number;
}

export const WORKER_DEFAULTS = { startTimeoutMs: 10_000, maxMalformedInRow: 100, cpuWindowMs: CPU_WINDOW_MS } as const;

type State = "idle" | "starting" | "running" | "stopping" | "gone";

const AGENT_FAILURE_CODES = new Set<string>(["LOS_E_AGENT_FAILED", "LOS_E_AGENT_CONFIG"]);

/** A code the agent reported about itself, kept only if it is one an agent may report. */
function agentCode(code: string): ErrorCode {
  return AGENT_FAILURE_CODES.has(code) && code in ERROR_CODES ? (code as ErrorCode) : "LOS_E_AGENT_FAILED";
}

export class WorkerHost implements AgentHost {
  readonly kind = "worker" as const;
  #o: HostOptions;
  #settings: WorkerHostSettings;
  #log: Logger;
  #worker: Worker | undefined;
  #state: State = "idle";
  #usage: AgentUsage = { cpuMs: 0, heapBytes: 0, decisions: 0, failures: 0 };
  #startWait: { resolve(): void; reject(e: LosError): void; timer: TimerHandle } | undefined;
  #startError: LosError | undefined;
  /** why the worker ends, decided before it exits (kill, failed, out of memory, error) */
  #end: AgentExit | undefined;
  #exited: Promise<void> = Promise.resolve();
  #malformed = 0;
  #outsideCpuMs = 0;
  #terminating = false;
  #malformedInRow = 0;
  /** the factory's set of hosts with a live thread */
  #live: Set<WorkerHost> | undefined;
  #asks: PendingAsks;
  #skills: readonly string[] = [];
  /** the worker's kernel thread id, from its first message (before any agent code ran) */
  #tid: number | undefined;
  #messages = 0;
  #cpu: CpuShareWatch | undefined;

  constructor(options: HostOptions, settings: WorkerHostSettings = {}, live?: Set<WorkerHost>) {
    this.#o = options;
    this.#settings = settings;
    this.#live = live;
    this.#log = options.logger.child({ agent: options.manifest.id, host: "worker" });
    this.#asks = new PendingAsks(options.manifest.id);
  }

  /** malformed messages received from the agent so far */
  get malformed(): number {
    return this.#malformed;
  }

  /** true while a worker thread exists for this agent */
  get alive(): boolean {
    return this.#worker !== undefined;
  }

  /** the worker's kernel thread id (Linux), once it has reported it */
  get threadId(): number | undefined {
    return this.#tid;
  }

  /** true once the thread went over its CPU share and was handed to the idle class */
  get yielded(): boolean {
    return this.#cpu?.yielded ?? false;
  }

  async start(): Promise<void> {
    if (this.#state !== "idle") throw new LosError("LOS_E_INTERNAL", `worker host of "${this.#o.manifest.id}" was already started`);
    this.#state = "starting";
    const { manifest, configDir } = this.#o;
    const choice = this.#settings.runtime ?? chooseWorkerRuntime;
    let runtime: WorkerRuntime;
    try {
      runtime = typeof choice === "function" ? await choice() : choice;
    } catch (err) {
      this.#state = "gone";
      throw toLosError(err, "LOS_E_AGENT_CONFIG");
    }
    if (this.#state !== "starting") throw new LosError("LOS_E_CLOSED", `agent "${manifest.id}" was stopped while starting`);
    const entry = workerEntry(runtime);
    try {
      this.#worker = new Worker(entry.url, {
        workerData: entry.workerData,
        // tenant code must not read the gateway's secrets from process.env
        env: {},
        execArgv: [],
        stdin: false,
        stdout: true,
        stderr: true,
        resourceLimits: workerLimits(manifest.limits.heapMB),
      });
    } catch (err) {
      this.#state = "gone";
      throw toLosError(err, "LOS_E_AGENT_CRASHED");
    }
    this.#live?.add(this);
    this.#wire(this.#worker);
    const started = new Promise<void>((resolveStart, rejectStart) => {
      const timer = this.#o.clock.setTimeout(
        () => this.#failStart(new LosError("LOS_E_AGENT_START_TIMEOUT", `agent "${manifest.id}" did not report ready within ${this.#startTimeoutMs} ms`)),
        this.#startTimeoutMs,
      );
      this.#startWait = { resolve: resolveStart, reject: rejectStart, timer };
    });
    this.#post({ t: "init", manifest: manifest.config, configDir, heartbeatMs: manifest.heartbeatMs });
    return started;
  }

  deliver(readings: readonly Reading[]): void {
    if (this.#state === "running" && readings.length > 0) this.#post({ t: "readings", readings: [...readings] });
  }

  async stop(graceMs: number): Promise<void> {
    const worker = this.#worker;
    if (!worker) {
      if (this.#state === "starting") this.#state = "gone";
      return;
    }
    if (this.#state === "starting") {
      this.#failStart(new LosError("LOS_E_CLOSED", `agent "${this.#o.manifest.id}" was stopped while starting`));
    } else if (this.#state === "running") {
      this.#state = "stopping";
      this.#post({ t: "stop" });
      const timer = this.#o.clock.setTimeout(() => this.#terminate(), graceMs);
      await this.#exited;
      this.#o.clock.clearTimeout(timer);
      return;
    }
    await this.#exited;
  }

  kill(reason: AgentExit): void {
    if (!this.#worker || this.#state === "gone") return;
    if (this.#state === "starting") return this.#failStart(new LosError(reason.code, reason.message));
    this.#end ??= reason;
    this.#terminate();
  }

  usage(): AgentUsage {
    return { ...this.#usage, cpuMs: this.#cpuMs() };
  }

  ask<Q extends AgentQuestion>(question: Q, signal: AbortSignal): Promise<AgentAnswer<Q>> {
    if (this.#state !== "running") return Promise.reject(new LosError("LOS_E_AGENT_UNKNOWN", `agent "${this.#o.manifest.id}" is not running`));
    return this.#asks.ask(question, signal, (m) => this.#post(m));
  }

  skills(): readonly string[] {
    return this.#state === "running" ? this.#skills : [];
  }

  /** questions waiting for an answer (tests: nothing may be left behind) */
  get pendingAsks(): number {
    return this.#asks.size;
  }

  get #startTimeoutMs(): number {
    return this.#settings.startTimeoutMs ?? WORKER_DEFAULTS.startTimeoutMs;
  }

  /** measured from outside the thread (the agent cannot report less than it used), kept after exit */
  #cpuMs(): number {
    try {
      if (this.#worker) this.#outsideCpuMs = Math.max(this.#outsideCpuMs, this.#worker.performance.eventLoopUtilization().active);
    } catch {
      // the thread is going away: keep the last measurement
    }
    return Math.max(this.#outsideCpuMs, this.#usage.cpuMs);
  }

  #wire(worker: Worker): void {
    this.#exited = new Promise((resolveExit) => worker.once("exit", (code) => resolveExit(this.#onExit(code))));
    worker.on("message", (raw: unknown) => this.#onMessage(raw));
    worker.on("error", (err: Error & { code?: string }) => {
      const e: AgentExit =
        err.code === "ERR_WORKER_OUT_OF_MEMORY"
          ? { code: "LOS_E_AGENT_OUT_OF_MEMORY", message: `agent "${this.#o.manifest.id}" went over its heap limit of ${this.#o.manifest.limits.heapMB} MB` }
          : { code: "LOS_E_AGENT_CRASHED", message: `agent "${this.#o.manifest.id}" crashed: ${String(err.message).slice(0, 500)}` };
      this.#end ??= e;
      if (this.#state === "starting") this.#startError ??= new LosError(e.code === "LOS_E_AGENT_CRASHED" ? "LOS_E_AGENT_CONFIG" : e.code, e.message);
    });
    for (const [stream, level] of [
      [worker.stdout, "info"],
      [worker.stderr, "warn"],
    ] as const) {
      const log = this.#log.child({ stream: level === "info" ? "stdout" : "stderr" });
      pipeLines(stream, this.#o.clock, (line, dropped) =>
        line === undefined ? log.warn({ dropped }, "agent output dropped (too many lines)") : log[level](line),
      );
    }
  }

  #onExit(exitCode: number): void {
    this.#cpuMs();
    this.#cpu?.stop();
    const was = this.#state;
    this.#state = "gone";
    this.#worker = undefined;
    this.#live?.delete(this);
    this.#asks.failAll(`its worker exited with code ${exitCode}`);
    if (this.#startWait) {
      this.#o.clock.clearTimeout(this.#startWait.timer);
      const reject = this.#startWait.reject;
      this.#startWait = undefined;
      reject(this.#startError ?? new LosError("LOS_E_AGENT_CONFIG", this.#end?.message ?? `agent "${this.#o.manifest.id}" exited with code ${exitCode} while starting`));
      return;
    }
    // a stop that was asked for ends quietly, unless a kill came meanwhile
    if (was === "stopping" && this.#end === undefined) return;
    if (was !== "running" && was !== "stopping") return;
    this.#o.events.exited(this.#end ?? { code: "LOS_E_AGENT_CRASHED", message: `agent "${this.#o.manifest.id}" exited with code ${exitCode}` });
  }

  /** end a start that has not succeeded: terminate, then reject once the thread is gone */
  #failStart(err: LosError): void {
    if (this.#state !== "starting") return;
    this.#startError ??= err;
    this.#terminate();
  }

  /** once per thread: each terminate() call adds an exit listener of its own */
  #terminate(): void {
    if (this.#terminating || !this.#worker) return;
    this.#terminating = true;
    void this.#worker.terminate();
  }

  #post(message: ToAgent): void {
    try {
      this.#worker?.postMessage(message);
    } catch (err) {
      this.#log.warn({ code: "LOS_E_AGENT_PROTOCOL", err: (err as Error).message }, "cannot send to the agent");
    }
  }

  #onMessage(raw: unknown): void {
    // a thread being terminated (a flood, a kill) may still have thousands of messages queued:
    // none of them is answered, so none is worth parsing
    if (this.#terminating) return;
    let m: FromAgent;
    try {
      m = parseFromAgent(raw);
    } catch (err) {
      this.#badMessage(toLosError(err, "LOS_E_AGENT_PROTOCOL"));
      return;
    }
    this.#malformedInRow = 0;
    const first = this.#messages++ === 0;
    switch (m.t) {
      case "thread":
        return this.#onThread(m.tid, first);
      case "ready":
        if (this.#state === "starting" && this.#startWait && this.#startError === undefined) {
          this.#o.clock.clearTimeout(this.#startWait.timer);
          const resolveStart = this.#startWait.resolve;
          this.#startWait = undefined;
          this.#state = "running";
          this.#skills = m.skills ?? [];
          this.#watchCpu();
          resolveStart();
        }
        return;
      case "heartbeat": {
        const u = m.usage;
        this.#usage = { cpuMs: u.cpuMs ?? this.#usage.cpuMs, heapBytes: u.heapBytes ?? this.#usage.heapBytes, decisions: u.decisions ?? this.#usage.decisions, failures: u.failures ?? this.#usage.failures };
        if (m.skills) this.#skills = m.skills;
        if (this.#state === "running") this.#o.events.heartbeat(this.usage());
        return;
      }
      case "actuate":
        return this.#answer(m.id, () => this.#o.calls.actuate(m.point, m.value, m.reason, m.key));
      case "coordinate":
        return this.#answer(m.id, () => this.#o.calls.coordinate(m.request));
      case "answer":
        return this.#asks.answer(m);
      case "publish":
        return this.#answer(m.id, () => this.#o.calls.publish(m.subtopic, m.payload));
      case "log":
        this.#o.calls.log(m.level, m.obj ?? {}, m.msg);
        return;
      case "failed": {
        const reason: AgentExit = { code: agentCode(m.code), message: m.message };
        if (this.#state === "starting") return this.#failStart(new LosError(reason.code, reason.message));
        if (this.#state === "running") this.kill(reason);
        return;
      }
      case "stopped":
        // the shell is done; nothing of the agent should outlive this
        if (this.#state === "stopping") this.#terminate();
        return;
    }
  }

  /**
   * Only the worker's first message may name its thread: the entry sends it before agent code is
   * loaded, so a later claim is the agent's own (it might name the gateway's thread to demote it).
   */
  #onThread(tid: number, first: boolean): void {
    const taken = [...(this.#live ?? [])].some((h) => h !== this && h.threadId === tid);
    if (!first || this.#tid !== undefined || taken || !isOtherThreadOfThisProcess(tid)) {
      this.#badMessage(new LosError("LOS_E_AGENT_PROTOCOL", `agent "${this.#o.manifest.id}" named a thread it may not name (${tid})`));
      return;
    }
    this.#tid = tid;
  }

  #watchCpu(): void {
    const tid = this.#tid;
    if (tid === undefined) return;
    this.#cpu = new CpuShareWatch({
      cpuMs: () => threadCpuMs(tid),
      yieldNow: () => yieldThread(tid),
      sharePercent: this.#o.manifest.limits.cpuSharePercent,
      windowMs: this.#settings.cpuWindowMs ?? WORKER_DEFAULTS.cpuWindowMs,
      clock: this.#o.clock,
      onOver: (over) => this.#o.events.cpuOver?.(over),
    });
    this.#cpu.start(this.#o.yieldAtStart ?? false);
  }

  #answer(id: number, call: () => Promise<unknown>): void {
    Promise.resolve()
      .then(call)
      .then(
        (data) => this.#post({ t: "reply", id, envelope: okEnvelope(data) }),
        (err: unknown) => this.#post({ t: "reply", id, envelope: errorEnvelope(err) }),
      );
  }

  #badMessage(err: LosError): void {
    this.#malformed++;
    this.#malformedInRow++;
    // bounded: the first few, then every 100th, so garbage cannot flood the log
    if (this.#malformed <= 10 || this.#malformed % 100 === 0) {
      this.#log.warn({ code: err.code, malformed: this.#malformed, err: err.message }, "malformed message from agent");
    }
    const max = this.#settings.maxMalformedInRow ?? WORKER_DEFAULTS.maxMalformedInRow;
    if (this.#malformedInRow >= max) {
      this.kill({ code: "LOS_E_AGENT_PROTOCOL", message: `agent "${this.#o.manifest.id}" sent ${this.#malformedInRow} malformed messages in a row` });
    }
  }
}

/**
 * A worker-host factory. With `track` (the host registry's), the gateway's close terminates any
 * worker still alive, e.g. one whose stop was never asked for.
 */
export function workerHostFactory(settings: WorkerHostSettings = {}, track?: (part: { close(): Promise<void> }) => void): HostFactory {
  const live = new Set<WorkerHost>();
  track?.({ close: async () => void (await Promise.all([...live].map((h) => h.stop(0)))) });
  return (options) => new WorkerHost(options, settings, live);
}

export const createWorkerHost: HostFactory = workerHostFactory();
