/**
 * An agent: an identity with capabilities and a perceive → decide → act loop. The shape follows the
 * project's seed example (`new Agent("agent1")`, `agent.action("A")`, `agent.assignTask(task)`,
 * `run()`); the loop talks to the world only through the AgentContext the runtime hands it.
 */
import { LosError } from "../core/errors.js";
import type { AgentAnswer, AgentQuestion, BidOffer, CallForProposals, TaskAward, TaskAwardReply, TaskRun } from "../core/task-types.js";
import type { Reading } from "../core/types.js";
import type { Capabilities } from "../config/agent-schema.js";
import type { AgentContext, TaskContext } from "./context.js";
import { defaultRegistry } from "./registry.js";
import { answerQuestion } from "./task-answers.js";

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
/** a bid computed from the agent's state; undefined or null: no bid */
export type BidFn = (cfp: CallForProposals, ctx: AgentContext) => BidOffer | undefined | null | Promise<BidOffer | undefined | null>;
/** confirm or refuse an award (true/false is short for { accept }) */
export type AwardFn = (award: TaskAward, ctx: AgentContext) => TaskAwardReply | boolean | Promise<TaskAwardReply | boolean>;
/** run a task; what it returns is the task's result, a throw fails the task */
export type TaskHandler = (run: TaskRun, ctx: TaskContext) => unknown;

/** names of skills and task types, as task specs name them */
export const SKILL_NAME = /^[A-Za-z0-9._-]{1,64}$/;

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
  /** what the agent can do besides its task types (a task's `requires` names them) */
  skills?: readonly string[];
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
  #skills = new Set<string>();
  #bid: BidFn | undefined;
  #award: AwardFn | undefined;
  #handlers = new Map<string, TaskHandler>();

  constructor(id: string, options: AgentOptions = {}) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
      throw new LosError("LOS_E_AGENT_CONFIG", `agent id "${id}" must be 1-64 letters, digits, _ or -`);
    }
    this.id = id;
    this.tenant = options.tenant;
    this.capabilities = options.capabilities ?? {};
    this.everyMs = options.everyMs;
    for (const skill of options.skills ?? []) this.#skills.add(checkSkill(id, skill));
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

  /** How the agent bids on calls for proposals; without one it never bids. */
  onCallForProposals(fn: BidFn): this {
    this.#bid = fn;
    return this;
  }

  /** Decide on awards (default: accept a type the agent has a handler for). */
  onAward(fn: AwardFn): this {
    this.#award = fn;
    return this;
  }

  /** Run tasks of `type`; declares `type` as a skill. */
  onTask(type: string, handler: TaskHandler): this {
    this.#skills.add(checkSkill(this.id, type));
    this.#handlers.set(type, handler);
    return this;
  }

  /** skills given in the options and every task type with a handler */
  get skills(): readonly string[] {
    return [...this.#skills];
  }

  taskTypes(): string[] {
    return [...this.#handlers.keys()];
  }

  /** Answer a task question from the gateway (the runtime passes a TaskContext for `run`). */
  answer<Q extends AgentQuestion>(question: Q, ctx: Q extends { kind: "run" } ? TaskContext : AgentContext): Promise<AgentAnswer<Q>> {
    return answerQuestion({ id: this.id, bid: this.#bid, award: this.#award, handler: (type) => this.#handlers.get(type) }, question, ctx);
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

function checkSkill(id: string, skill: string): string {
  if (typeof skill !== "string" || !SKILL_NAME.test(skill)) {
    throw new LosError("LOS_E_AGENT_CONFIG", `agent "${id}": skill or task type "${String(skill)}" must be 1-64 letters, digits, ".", "_" or "-"`);
  }
  return skill;
}

export function taskName(task: Task): string {
  return typeof task === "function" ? task.name || "task" : task.name;
}
