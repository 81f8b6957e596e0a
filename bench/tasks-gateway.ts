/**
 * The gateways of the tasks bench: a real buildGateway (store, leases, task manager, contract net,
 * agent supervisor) without devices, with in-process bidders added in code and, for the failover
 * job, a worker agent from bench/tasks-fixture.mjs. Helpers to wait for agents and task states.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Agent } from "../src/agents/agent.js";
import { loadConfigValue } from "../src/config/load.js";
import type { TaskRecord, TaskState } from "../src/core/task-types.js";
import { buildGateway } from "../src/gateway.js";
import { sleep } from "./result.js";

export type BenchGateway = Awaited<ReturnType<typeof buildGateway>>;
export const JOB = "bench-job";
export const FIXTURE = fileURLToPath(new URL("./tasks-fixture.mjs", import.meta.url));
export const wallMs = (): number => performance.timeOrigin + performance.now();

export interface GatewayOptions {
  agents?: object[];
  tasks?: object;
}

/** A gateway in a temporary data dir; `close` also removes the dir. */
export async function startGateway(o: GatewayOptions = {}): Promise<{ gateway: BenchGateway; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "los-bench-tasks-"));
  const config = loadConfigValue(
    {
      site: "bench",
      gateway: "gw1",
      dataDir: join(dir, "data"),
      bus: { listeners: [{ kind: "tcp", host: "127.0.0.1", port: 0, allowAnonymous: true }] },
      safeOnShutdown: false,
      devices: [],
      ...(o.agents ? { agents: o.agents } : {}),
      ...(o.tasks ? { tasks: o.tasks } : {}),
    },
    dir,
    "<bench tasks config>",
  );
  const gateway = await buildGateway(config);
  return {
    gateway,
    close: async () => {
      await gateway.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** n in-process bidders that bid a random value and finish a task at once; resolves when all run. */
export async function addBidders(gateway: BenchGateway, n: number, prefix = "b", bid: () => number = Math.random): Promise<void> {
  for (let i = 0; i < n; i++) {
    const agent = new Agent(`${prefix}${i}`, { register: false })
      .onCallForProposals(() => ({ value: bid() }))
      .onTask(JOB, () => "ok");
    gateway.addAgent(agent);
  }
  await until(() => gateway.agents.running().filter((a) => a.id.startsWith(prefix)).length >= n, 60_000, `${n} bidders running`);
}

/** Poll `cond` every few ms until true or `timeoutMs` passes (then throw). */
export async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(2);
  }
}

/** The moment (performance.now) each task first reached each state. */
export class StateClock {
  readonly at = new Map<string, Partial<Record<TaskState, number>>>();
  readonly final = new Map<string, TaskRecord>();
  #stop: () => void;

  constructor(gateway: BenchGateway) {
    this.#stop = gateway.tasks.onChange((task) => {
      const seen = this.at.get(task.id) ?? {};
      seen[task.state] ??= performance.now();
      this.at.set(task.id, seen);
      if (task.state === "done" || task.state === "failed" || task.state === "cancelled" || task.state === "expired") this.final.set(task.id, task);
    });
  }

  close(): void {
    this.#stop();
  }
}
