/**
 * An agent: an identity with capabilities and a perceive → decide → act loop. The shape follows the
 * project's seed example (`new Agent("agent1")`, `agent.action("A")`, `agent.assignTask(task)`,
 * `run()`); the loop talks to the world only through the AgentContext the runtime hands it.
 */
import { LosError } from "../core/errors.js";
import type { Reading } from "../core/types.js";
import type { Capabilities } from "../config/agent-schema.js";
import type { AgentContext } from "./context.js";
import { defaultRegistry } from "./registry.js";

export interface Perception {
  /** what woke the agent */
  trigger: "start" | "reading" | "timer";
  /** readings that arrived since the last decision (latest per point) */
  readings: Reading[];
}

export type DecideFn = (perception: Perception, ctx: AgentContext) => void | Promise<void>;
export type ActionHandler = (ctx: AgentContext, params?: unknown) => unknown;
export type TaskFn = (ctx: AgentContext) => unknown;
export type Task = TaskFn | { name: string; run: TaskFn };

export interface ActionRecord {
  agent: string;
  action: string;
  params?: unknown;
  ts: number;
  result?: unknown;
}

export interface AgentOptions {
  tenant?: string;
  capabilities?: Capabilities;
  /** also decide on this timer, not only when readings arrive */
  everyMs?: number;
  /** register in the default registry used by `run()` (true unless a runtime adds it itself) */
  register?: boolean;
}

export class Agent {
  readonly id: string;
  readonly tenant: string | undefined;
  readonly capabilities: Capabilities;
  everyMs: number | undefined;
  #decide: DecideFn | undefined;
  #actions = new Map<string, ActionHandler>();
  #tasks: Task[] = [];
  #history: ActionRecord[] = [];
  #ctx: AgentContext | undefined;

  constructor(id: string, options: AgentOptions = {}) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
      throw new LosError("LOS_E_AGENT_CONFIG", `agent id "${id}" must be 1-64 letters, digits, _ or -`);
    }
    this.id = id;
    this.tenant = options.tenant;
    this.capabilities = options.capabilities ?? {};
    this.everyMs = options.everyMs;
    if (options.register !== false) defaultRegistry.add(this);
  }

  /** The decision policy: called with what was perceived; acts through ctx. */
  onDecide(fn: DecideFn): this {
    this.#decide = fn;
    return this;
  }

  /** Name an action the agent can perform, e.g. `defineAction("ventilate", ctx => ctx.actuate(...))`. */
  defineAction(name: string, handler: ActionHandler): this {
    this.#actions.set(name, handler);
    return this;
  }

  /**
   * Perform a named action now. A defined action runs its handler; an undefined one is recorded and
   * announced on the bus (the seed's abstract actions). Either way it lands in `history`.
   */
  async action(name: string, params?: unknown): Promise<ActionRecord> {
    const ctx = this.#requireContext(`action("${name}")`);
    const record: ActionRecord = { agent: this.id, action: name, ts: ctx.clock.now() };
    if (params !== undefined) record.params = params;
    const handler = this.#actions.get(name);
    if (handler) record.result = await handler(ctx, params);
    this.#history.push(record);
    ctx.log.info({ action: name }, `${this.id} performs ${name}`);
    await ctx.publish("actions", record);
    return record;
  }

  /** Give the agent a task; it runs once the agent is running (at once if it already is). */
  assignTask(task: Task): this {
    this.#tasks.push(task);
    this.#ctx?.wake();
    return this;
  }

  get history(): readonly ActionRecord[] {
    return this.#history;
  }

  /** The context while the agent is attached to a runtime. */
  get context(): AgentContext | undefined {
    return this.#ctx;
  }

  // ---- used by the runtime ----

  attach(ctx: AgentContext | undefined): void {
    this.#ctx = ctx;
  }

  takeTasks(): Task[] {
    const tasks = this.#tasks;
    this.#tasks = [];
    return tasks;
  }

  get decideFn(): DecideFn | undefined {
    return this.#decide;
  }

  #requireContext(what: string): AgentContext {
    if (!this.#ctx) {
      throw new LosError("LOS_E_AGENT_UNKNOWN", `${this.id}.${what} needs a running agent: call run() or add it to a gateway first`);
    }
    return this.#ctx;
  }
}

export function taskName(task: Task): string {
  return typeof task === "function" ? task.name || "task" : task.name;
}
