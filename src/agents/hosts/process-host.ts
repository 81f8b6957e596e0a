/**
 * Process-isolated agents: one child process per agent under Node's permission model (no fs
 * writes, reads only of its code, no child processes, no workers), inside bubblewrap (no network,
 * own pid/ipc/uts namespaces, read-only view of only what it needs) and a cgroup (CPU quota, memory
 * limit) where the box has them. The agent talks to the gateway only over the inherited IPC channel;
 * every request it makes is parsed here and checked again by the supervisor's calls.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { TimerHandle } from "../../core/clock.js";
import { ERROR_CODES, errorEnvelope, LosError, okEnvelope, type ErrorCode } from "../../core/errors.js";
import type { AgentAnswer, AgentQuestion } from "../../core/task-types.js";
import type { Logger } from "../../core/types.js";
import { resolveSandbox, type ResolvedSandbox } from "../../config/sandbox-resolve.js";
import type { SandboxConfig } from "../../config/sandbox-schema.js";
import { createAgentCgroup, type AgentCgroup, type CgroupEnforced } from "../isolation/cgroups.js";
import { CPU_WINDOW_MS, CpuShareWatch } from "../isolation/cpu-share.js";
import { processTreeCpuMs, yieldProcessTree } from "../isolation/process-tree-cpu.js";
import { parseFromAgent, type FromAgent, type ToAgent } from "../isolation/messages.js";
import { PendingAsks } from "../isolation/pending-asks.js";
import { nodePermissionArgs } from "../isolation/node-permissions.js";
import { bwrapArgs, useBwrap } from "../isolation/sandbox.js";
import { prepareAgentCode } from "../isolation/sandbox-code.js";
import type { AgentExit, AgentHost, AgentUsage, HostFactory, HostOptions } from "./agent-host.js";

/** What the kernel and Node enforce for one process agent (logged at start, shown by `agents`). */
export interface SandboxReport {
  permissionModel: true;
  bwrap: boolean;
  cgroup: CgroupEnforced | { notEnforced: string };
  /** dist: the compiled build; bundle: process-entry.ts bundled at start (dist/ was stale) */
  runtime: "dist" | "bundle";
  heapMB: number;
}

/** sh puts itself into the agent's cgroups, then becomes bwrap (or node): nothing runs outside them */
const JOIN_CGROUPS = 'while [ "$1" != "--" ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';
const CGROUP_JOIN_FAILED = 125;
const STDERR_TAIL = 8192;

let runs = 0;

class ProcessHost implements AgentHost {
  readonly kind = "process" as const;
  #o: HostOptions;
  #sandbox: ResolvedSandbox;
  #log: Logger;
  #child: ChildProcess | undefined;
  #cgroup: AgentCgroup | undefined;
  #agentFile: string | undefined;
  #report: SandboxReport | undefined;
  #usage: AgentUsage = { cpuMs: 0, heapBytes: 0, decisions: 0, failures: 0 };
  #stderr = "";
  #ready = false;
  /** start() resolved: from here on an end is reported as `exited`, before it start() rejects */
  #running = false;
  #stopping = false;
  #ended = false;
  #endReason: AgentExit | undefined;
  #closed: Promise<void> = Promise.resolve();
  #startSettle: ((err?: LosError) => void) | undefined;
  #asks: PendingAsks;
  #skills: readonly string[] = [];
  #cpu: CpuShareWatch | undefined;

  constructor(options: HostOptions, sandbox: ResolvedSandbox) {
    this.#o = options;
    this.#sandbox = sandbox;
    this.#log = options.logger.child({ agent: options.manifest.id, host: "process" });
    this.#asks = new PendingAsks(options.manifest.id);
  }

  /** the layers that hold this agent; undefined before start */
  get sandbox(): SandboxReport | undefined {
    return this.#report;
  }

  /** a process of this agent is still running */
  get alive(): boolean {
    return this.#child !== undefined && !this.#ended;
  }

  /** the child's pid (bwrap's when sandboxed); undefined when not running */
  get pid(): number | undefined {
    return this.#ended ? undefined : this.#child?.pid;
  }

  async start(): Promise<void> {
    const m = this.#o.manifest;
    const bwrap = useBwrap(this.#sandbox.bwrap, this.#sandbox.bwrapPath);
    const runName = `${m.id}.${process.pid}.${++runs}`;
    let cgroupState: SandboxReport["cgroup"] = { notEnforced: "sandbox.cgroups is off" };
    if (this.#sandbox.cgroups !== "off") {
      const made = createAgentCgroup({
        root: this.#sandbox.cgroupRoot,
        name: runName,
        limits: { cpuPercent: m.limits.cpuPercent, memoryBytes: (m.limits.heapMB + this.#sandbox.memoryHeadroomMB) * 1024 * 1024 },
      });
      if (made.ok) {
        this.#cgroup = made.cgroup;
        cgroupState = made.cgroup.enforced;
      } else if (this.#sandbox.cgroups === "required") {
        throw new LosError("LOS_E_AGENT_SANDBOX", `agent "${m.id}": sandbox.cgroups is required but ${made.reason}`);
      } else {
        cgroupState = { notEnforced: made.reason };
      }
    }
    let code;
    try {
      code = await prepareAgentCode({ manifest: m.config, configDir: this.#o.configDir, cacheDir: join(this.#o.dataDir, "process-agents"), runName });
    } catch (err) {
      await this.#cgroup?.remove();
      throw err;
    }
    this.#agentFile = code.agentFile;
    this.#report = { permissionModel: true, bwrap, cgroup: cgroupState, runtime: code.runtime, heapMB: m.limits.heapMB };
    this.#log.info({ sandbox: this.#report }, "process agent sandbox");

    let cmd = process.execPath;
    let args = [...nodePermissionArgs({ readPaths: code.readPaths, heapMB: m.limits.heapMB }), code.entry];
    if (bwrap) {
      args = [...bwrapArgs({ readPaths: code.readPaths }), cmd, ...args];
      cmd = this.#sandbox.bwrapPath;
    }
    if (this.#cgroup) {
      args = ["-c", JOIN_CGROUPS, "los-cgroup", ...this.#cgroup.procsFiles, "--", cmd, ...args];
      cmd = "/bin/sh";
    }

    const started = new Promise<void>((resolve, reject) => {
      this.#startSettle = (err) => {
        this.#startSettle = undefined;
        if (err) reject(err);
        else resolve();
      };
    });
    // an empty environment: spawn adds only NODE_CHANNEL_FD for the IPC channel
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe", "ipc"], env: {}, serialization: "json" });
    this.#child = child;
    this.#closed = new Promise((resolve) => child.once("close", (code, signal) => void this.#onClose(code, signal).finally(resolve)));
    child.once("error", (err) => {
      this.#endReason ??= { code: "LOS_E_AGENT_SANDBOX", message: `cannot start ${cmd}: ${err.message}` };
    });
    child.stderr?.setEncoding("utf8").on("data", (s: string) => {
      this.#stderr = (this.#stderr + s).slice(-STDERR_TAIL);
    });
    child.on("message", (raw) => this.#onMessage(raw));
    this.#send({ t: "init", manifest: code.manifest, configDir: this.#o.configDir, heartbeatMs: m.heartbeatMs });

    const timer: TimerHandle = this.#o.clock.setTimeout(() => {
      this.#startSettle?.(new LosError("LOS_E_AGENT_START_TIMEOUT", `agent "${m.id}" did not report ready within ${this.#sandbox.startTimeoutMs} ms`));
      this.#kill();
    }, this.#sandbox.startTimeoutMs);
    try {
      await started;
      this.#running = true;
      this.#watchCpu(child.pid);
    } catch (err) {
      this.#kill();
      await this.#closed;
      throw err;
    } finally {
      this.#o.clock.clearTimeout(timer);
    }
  }

  /** true once the agent went over its CPU share and was handed to the idle class */
  get yielded(): boolean {
    return this.#cpu?.yielded ?? false;
  }

  /** where no cgroup caps the agent's CPU, the CPU-share rule does, over its whole process tree */
  #watchCpu(pid: number | undefined): void {
    if (pid === undefined || this.#cgroup?.enforced.cpu !== undefined) return;
    this.#cpu = new CpuShareWatch({
      cpuMs: () => processTreeCpuMs(pid),
      yieldNow: () => yieldProcessTree(pid),
      sharePercent: this.#o.manifest.limits.cpuSharePercent,
      windowMs: CPU_WINDOW_MS,
      clock: this.#o.clock,
      onOver: (over) => this.#o.events.cpuOver?.(over),
    });
    this.#cpu.start(this.#o.yieldAtStart ?? false);
  }

  deliver(readings: Parameters<AgentHost["deliver"]>[0]): void {
    if (this.#ready && !this.#stopping) this.#send({ t: "readings", readings: [...readings] });
  }

  async stop(graceMs: number): Promise<void> {
    if (!this.#child || this.#ended) return;
    this.#stopping = true;
    this.#send({ t: "stop" });
    let timer: TimerHandle | undefined;
    const late = new Promise<void>((resolve) => {
      timer = this.#o.clock.setTimeout(resolve, graceMs);
    });
    await Promise.race([this.#closed, late]);
    if (timer) this.#o.clock.clearTimeout(timer);
    if (!this.#ended) this.#kill();
    await this.#closed;
  }

  kill(reason: AgentExit): void {
    if (!this.#child || this.#ended) return;
    this.#endReason ??= reason;
    this.#kill();
  }

  usage(): AgentUsage {
    return { ...this.#usage };
  }

  ask<Q extends AgentQuestion>(question: Q, signal: AbortSignal): Promise<AgentAnswer<Q>> {
    if (!this.#running || this.#stopping || this.#ended) return Promise.reject(new LosError("LOS_E_AGENT_UNKNOWN", `agent "${this.#o.manifest.id}" is not running`));
    return this.#asks.ask(question, signal, (m) => this.#send(m));
  }

  skills(): readonly string[] {
    return this.#running && !this.#ended ? this.#skills : [];
  }

  /** questions waiting for an answer (tests: nothing may be left behind) */
  get pendingAsks(): number {
    return this.#asks.size;
  }

  /** SIGKILL bwrap (its pid namespace dies with it) and anything left in the agent's cgroup */
  #kill(): void {
    this.#child?.kill("SIGKILL");
    for (const pid of this.#cgroup?.pids() ?? []) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }

  #send(message: ToAgent): void {
    const child = this.#child;
    if (!child?.connected) return;
    try {
      child.send(message);
    } catch (err) {
      this.#log.debug({ err: (err as Error).message }, "could not send to the agent");
    }
  }

  #onMessage(raw: unknown): void {
    let m: FromAgent;
    try {
      m = parseFromAgent(raw);
    } catch (err) {
      this.kill({ code: "LOS_E_AGENT_PROTOCOL", message: (err as Error).message });
      return;
    }
    const calls = this.#o.calls;
    switch (m.t) {
      case "ready":
        this.#ready = true;
        this.#skills = m.skills ?? [];
        this.#startSettle?.();
        break;
      case "heartbeat":
        if (m.skills) this.#skills = m.skills;
        Object.assign(this.#usage, m.usage);
        if (this.#ready) this.#o.events.heartbeat(m.usage);
        break;
      case "actuate":
        this.#reply(m.id, calls.actuate(m.point, m.value, m.reason, m.key));
        break;
      case "coordinate":
        this.#reply(m.id, calls.coordinate(m.request));
        break;
      case "answer":
        this.#asks.answer(m);
        break;
      case "publish":
        this.#reply(m.id, calls.publish(m.subtopic, m.payload).then(() => null));
        break;
      case "log":
        calls.log(m.level, m.obj ?? {}, m.msg);
        break;
      case "failed": {
        const code: ErrorCode = m.code in ERROR_CODES ? (m.code as ErrorCode) : "LOS_E_AGENT_FAILED";
        const err = new LosError(code, m.message);
        if (this.#startSettle) this.#startSettle(err);
        else this.kill({ code, message: m.message });
        break;
      }
      case "stopped":
        break;
      case "thread":
        // a thread id means nothing across processes: the host watches the agent's process tree
        break;
    }
  }

  #reply(id: number, result: Promise<unknown>): void {
    result.then(
      (data) => this.#send({ t: "reply", id, envelope: okEnvelope(data) }),
      (err: unknown) => this.#send({ t: "reply", id, envelope: errorEnvelope(err) }),
    );
  }

  async #onClose(code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    this.#ended = true;
    this.#cpu?.stop();
    this.#asks.failAll(signal ? `its process ended by ${signal}` : `its process exited with code ${code}`);
    const reason = this.#endReason ?? this.#classify(code, signal);
    await this.#cgroup?.remove();
    if (this.#agentFile) rmSync(this.#agentFile, { force: true });
    if (this.#startSettle) {
      this.#startSettle(new LosError(reason.code, reason.message, { details: { stderr: this.#stderr.slice(-1000) } }));
      return;
    }
    if (!this.#running || (this.#stopping && !this.#endReason)) return;
    if (this.#stderr) this.#log.warn({ code: reason.code, stderr: this.#stderr.slice(-2000) }, "process agent's last output");
    this.#o.events.exited(reason);
  }

  #classify(code: number | null, signal: NodeJS.Signals | null): AgentExit {
    const id = this.#o.manifest.id;
    if (/heap out of memory|Reached heap limit/.test(this.#stderr)) {
      return { code: "LOS_E_AGENT_OUT_OF_MEMORY", message: `agent "${id}" went over its heap limit of ${this.#o.manifest.limits.heapMB} MB` };
    }
    if (this.#cgroup?.oomKilled()) {
      return { code: "LOS_E_AGENT_OUT_OF_MEMORY", message: `agent "${id}" was killed by the kernel for going over its cgroup memory limit` };
    }
    const bwrapError = /^bwrap: .*$/m.exec(this.#stderr);
    if (bwrapError || (code === CGROUP_JOIN_FAILED && this.#cgroup)) {
      return { code: "LOS_E_AGENT_SANDBOX", message: `agent "${id}": ${bwrapError?.[0] ?? "could not join its cgroup"}` };
    }
    return { code: "LOS_E_AGENT_CRASHED", message: `agent "${id}" exited unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})` };
  }
}

/** A process host factory with the gateway's `sandbox` config (defaults: bwrap required, cgroups auto). */
export function processHostFactory(env: { logger: Logger; sandbox?: SandboxConfig }): HostFactory {
  const sandbox = resolveSandbox(env.sandbox);
  return (options) => new ProcessHost(options, sandbox);
}

export const createProcessHost: HostFactory = (options) => new ProcessHost(options, resolveSandbox());

export type { ProcessHost };
