/**
 * The seams inside the task layer: the contract-net engine, the lease table, the fact space and the
 * task manager meet only through these interfaces, so each can be tested alone with real agents and
 * a ManualClock. docs/tasks.md and docs/coordination.md describe the behaviour behind them.
 */
import type { Actor } from "../core/types.js";
import type {
  AuctionOptions,
  Bid,
  BidOffer,
  CallForProposals,
  Fact,
  FactScope,
  LeaseRecord,
  LeaseResult,
  NegotiationOptions,
  TaskAward,
  TaskAwardReply,
  TaskOutcome,
  TaskRecord,
  TaskRun,
  TaskEvent,
  TaskSpec,
  TaskState,
} from "../core/task-types.js";

export type { TaskEvent } from "../core/task-types.js";

// ---- participants: an agent as the task layer sees it ----

/**
 * One agent that may bid on and run tasks. Built over the supervisor (src/tasks/participants.ts) for
 * every isolation kind; tests build them over plain Agents in an AgentRuntime. Each call rejects
 * with a coded error when the agent is gone or `signal` aborts (the caller's deadline).
 */
export interface TaskParticipant {
  readonly id: string;
  readonly tenant: string | undefined;
  /** manifest skills ∪ the task types the agent declared */
  skills(): readonly string[];
  propose(cfp: CallForProposals, signal: AbortSignal): Promise<BidOffer | undefined>;
  award(award: TaskAward, signal: AbortSignal): Promise<TaskAwardReply>;
  run(run: TaskRun, signal: AbortSignal): Promise<TaskOutcome>;
  cancel(taskId: string, attempt: number, reason: string): Promise<void>;
}

// ---- contract net (src/tasks/contract-net.ts) ----

/** Why a bid was not counted; each is reported to the bidder and in the task's events. */
export interface RefusedBid {
  bidder: string;
  code: "LOS_E_BID_INVALID" | "LOS_E_BID_LATE" | "LOS_E_BID_NOT_INVITED" | "LOS_E_AGENT_UNKNOWN" | "LOS_E_AGENT_PROTOCOL";
  message: string;
}

/** One call for proposals and what came back by its deadline. */
export interface RoundResult {
  cfp: CallForProposals;
  /** valid bids, in arrival order */
  bids: Bid[];
  refused: RefusedBid[];
  /** asked and never answered before the deadline */
  silent: string[];
  /** said "no bid" */
  declined: string[];
}

/** The outcome of awarding a round's bids: who confirmed, at what price, who let it down. */
export type AwardOutcome =
  | { kind: "awarded"; winner: string; price: number; bid: Bid; round: RoundResult; tried: AwardTry[] }
  | { kind: "unallocated"; code: "LOS_E_TASK_NO_BIDS"; message: string; round: RoundResult; tried: AwardTry[] };

export interface AwardTry {
  bidder: string;
  /** confirmed, refused, silent (no confirmation within confirmMs) or gone */
  result: "confirmed" | "refused" | "timeout" | "error";
  reason?: string;
}

/** Events the engine reports while it works; the manager persists them as task_events. */
export type AuctionEvent =
  | { kind: "announced"; cfp: CallForProposals; invited: string[] }
  | { kind: "bid"; bid: Bid }
  | { kind: "bid-refused"; refused: RefusedBid }
  | { kind: "awarding"; bidder: string; price: number; attempt: number }
  | { kind: "award-result"; try: AwardTry };

export interface AuctionRequest {
  task: Pick<TaskRecord, "id" | "type" | "requires" | "params" | "priority" | "deadline" | "tenant" | "leaseMs">;
  options: AuctionOptions;
  participants: readonly TaskParticipant[];
  /** the round number to announce (the manager counts rounds across re-announcements) */
  round: number;
  /** the fencing token of the first award of this round; each further award try adds one */
  attempt: number;
  onEvent?(e: AuctionEvent): void;
  signal?: AbortSignal;
}

// ---- negotiation (src/tasks/negotiation.ts) ----

export interface NegotiationRequest extends Omit<AuctionRequest, "options"> {
  options: AuctionOptions & NegotiationOptions;
  /** the divisible amount to cover (e.g. kW to shed) */
  quantity: number;
}

export interface NegotiatedPart {
  agent: string;
  quantity: number;
  /** price per unit agreed */
  price: number;
  attempt: number;
}

export interface NegotiationOutcome {
  parts: NegotiatedPart[];
  covered: number;
  target: number;
  rounds: number;
  /** set when covered < target after all rounds */
  shortfall?: { code: "LOS_E_NEGOTIATION_SHORT"; message: string };
}

// ---- leases (src/tasks/leases.ts) ----

export interface LeaseService {
  /** hold `resource` now for ttlMs; renewing one's own lease extends it */
  acquire(resource: string, holder: string, ttlMs: number): LeaseResult;
  /** hold `resource` in a future window (from < until, from ≥ now) */
  reserve(resource: string, holder: string, from: number, until: number): LeaseResult;
  /** extend every lease `holder` has (its heartbeat) */
  renew(holder: string): void;
  release(resource: string, holder: string): boolean;
  /** drop everything `holder` has (it died); returns what it held */
  releaseAll(holder: string): LeaseRecord[];
  /** the lease or reservation in force on `resource` at `at` (default now) */
  holderOf(resource: string, at?: number): LeaseRecord | undefined;
  /** the write check of the actuation path: may this actor write this point now? */
  checkWrite(actor: Actor, pointId: string): { ok: true } | { ok: false; code: "LOS_E_LEASE_CONFLICT"; message: string; holder: string; until: number };
  /** called once per lease that ran out without release (not for reservations ending) */
  onExpired(listener: (lease: LeaseRecord) => void): () => void;
  list(): LeaseRecord[];
  close(): void;
}

// ---- facts (src/tasks/fact-space.ts) ----

export interface FactWrite {
  scope: FactScope;
  owner: string;
  key: string;
  value: unknown;
  ttlMs?: number;
  by: string;
}

export interface FactSpace {
  put(fact: FactWrite): Fact;
  get(scope: FactScope, owner: string, key: string): Fact | undefined;
  delete(scope: FactScope, owner: string, key: string): boolean;
  list(filter?: { scope?: FactScope; owner?: string; prefix?: string }): Fact[];
  /** called on every put, delete and expiry (value undefined when gone) */
  onChange(listener: (fact: Fact, gone: boolean) => void): () => void;
  close(): void;
}

// ---- the task manager (src/tasks/task-manager.ts) ----


export interface TaskFilter {
  state?: TaskState | TaskState[];
  tenant?: string;
  type?: string;
  limit?: number;
}

export interface TaskService {
  /** validate, persist (committed before this resolves), then allocate in the background */
  create(spec: TaskSpec, createdBy: string): TaskRecord;
  cancel(id: string, by: string, reason: string): Promise<TaskRecord>;
  get(id: string): TaskRecord | undefined;
  list(filter?: TaskFilter): TaskRecord[];
  events(id: string): TaskEvent[];
  /** resolves when the task reaches one of `states` (default: any final state) */
  waitFor(id: string, states?: readonly TaskState[], signal?: AbortSignal): Promise<TaskRecord>;
  /** every change of any task */
  onChange(listener: (task: TaskRecord) => void): () => void;
  close(): Promise<void>;
}
