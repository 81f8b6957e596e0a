/**
 * A supervisor on a manual clock with real in-process agents; the gateway's services are recorded
 * (actuations succeed, refusals and dead-man writes are listed). `fakeHosts` is a scripted host
 * kind ("external" here) for what in-process agents cannot show: silence and heap reports.
 */
import { ManualClock } from "../../src/core/clock.js";
import { LiveValues } from "../../src/core/live-values.js";
import type { AgentAnswer, AgentQuestion } from "../../src/core/task-types.js";
import { silentLogger, type Actor, type Reading, type Value } from "../../src/core/types.js";
import { resolveManifest } from "../../src/config/agent-manifest.js";
import type { AgentConfig } from "../../src/config/agent-schema.js";
import type { ActuationResult } from "../../src/devices/actuation.js";
import type { AgentSnapshot } from "../../src/store/agents-repo.js";
import { codeAgentManifest, type CodeAgentOptions } from "../../src/agents/gateway-agents.js";
import { compileGrants, type GrantSources } from "../../src/agents/grants.js";
import type { Agent } from "../../src/agents/agent.js";
import type { AgentExit, AgentHost, AgentUsage, HostOptions } from "../../src/agents/hosts/agent-host.js";
import { HOST_LOADERS } from "../../src/agents/hosts/registry.js";
import { Supervisor, type SupervisedStatus, type SupervisorDeps } from "../../src/agents/supervisor.js";
import { T0 } from "./helpers.js";

/** gh1 belongs to growers, gh2 to orchard; site/* belongs to nobody; growers may use site/outdoor. */
export const SOURCES: GrantSources = {
  deviceTenant: (d) => ({ gh1: "growers", gh2: "orchard" })[d],
  tenantPoints: (t) => (t === "growers" ? ["site/outdoor"] : undefined),
};
export const WRITABLE = ["gh1/heater", "gh1/fan", "gh2/heater", "site/outdoor", "site/indoor"];

export class FakeHost implements AgentHost {
  readonly kind = "external" as const;
  delivered: Reading[][] = [];
  killed: AgentExit[] = [];
  stopped = false;
  /** what a worker host says once its thread went over its CPU share */
  yielded = false;
  constructor(readonly options: HostOptions) {}
  async start(): Promise<void> {}
  deliver(readings: readonly Reading[]): void {
    this.delivered.push([...readings]);
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
  kill(reason: AgentExit): void {
    this.killed.push(reason);
    queueMicrotask(() => this.options.events.exited(reason));
  }
  usage(): AgentUsage {
    return { cpuMs: 7, heapBytes: 0, decisions: 0, failures: 0 };
  }
  /** scripted answers: an external agent that bids a fixed value and declares one skill */
  asked: AgentQuestion[] = [];
  async ask<Q extends AgentQuestion>(question: Q): Promise<AgentAnswer<Q>> {
    this.asked.push(question);
    return (question.kind === "cfp" ? { value: 1 } : undefined) as AgentAnswer<Q>;
  }
  skills(): readonly string[] {
    return ["remote-skill"];
  }
}

export function supervisorHarness(extra: Partial<SupervisorDeps> = {}) {
  const clock = new ManualClock(T0);
  const live = new LiveValues();
  const statuses: { agent: string; status: SupervisedStatus }[] = [];
  const actuations: { actor: Actor; point: string; value: Value }[] = [];
  const audited: { actor: Actor; point: string; code: string }[] = [];
  const published: { agent: string; sub: string; payload: unknown }[] = [];
  const safe: { agent: string; reason: string; points: string[] }[] = [];
  const persisted: AgentSnapshot[][] = [];
  const fakes: FakeHost[] = [];
  let auditId = 0;
  const supervisor = new Supervisor({
    clock,
    logger: silentLogger,
    live,
    configDir: ".",
    dataDir: ".",
    grants: (m) => compileGrants({ tenant: m.tenant, capabilities: m.config.capabilities }, SOURCES),
    actuate: async (actor, point, value): Promise<ActuationResult> => {
      actuations.push({ actor, point, value });
      return { ok: true, auditId: ++auditId, point, value };
    },
    refuse: (actor, point, _value, _reason, code, message) => {
      audited.push({ actor, point, code });
      return { ok: false, auditId: ++auditId, point, code, message };
    },
    publish: async (agent, sub, payload) => void published.push({ agent, sub, payload }),
    publishStatus: (agent, status) => void statuses.push({ agent, status }),
    driveToSafe: async (agent, grants, reason) => void safe.push({ agent, reason, points: WRITABLE.filter((p) => grants.canWrite(p)) }),
    persist: (rows) => void persisted.push(rows),
    stopGraceMs: 0, // a grace period would wait on the manual clock
    loaders: {
      "in-process": HOST_LOADERS["in-process"]!,
      external: async () => (options) => {
        const host = new FakeHost(options);
        fakes.push(host);
        return host;
      },
    },
    ...extra,
  });
  const add = (agent: Agent, options?: CodeAgentOptions) => supervisor.add(codeAgentManifest(agent, options), agent);
  const addConfig = (config: AgentConfig) => supervisor.add(resolveManifest(config));
  const states = (agent: string) => statuses.filter((s) => s.agent === agent).map((s) => s.status.state);
  const last = (agent: string) => statuses.filter((s) => s.agent === agent).at(-1)?.status;
  /** let microtasks, immediates and in-process decisions run */
  const settle = async () => {
    for (let i = 0; i < 5; i++) {
      await supervisor.settled();
      await new Promise((r) => setImmediate(r));
    }
  };
  const good = (point: string, value: Value): Reading => ({ point, value, ts: clock.now(), quality: "good" });
  const feed = async (...readings: Reading[]) => {
    live.update(readings);
    supervisor.deliver(readings);
    await settle();
  };
  return { clock, live, supervisor, statuses, actuations, audited, published, safe, persisted, fakes, add, addConfig, states, last, settle, good, feed };
}
