/**
 * Tasks, bids, leases and facts as they travel between the gateway and its agents (in-process calls,
 * worker and process messages, the MQTT agent protocol). Pure data: the task layer (src/tasks/) owns
 * the behaviour, agents (src/agents/) only see these shapes. Times are the gateway's clock in ms since
 * the epoch; an agent's own clock is never trusted for deadlines or expiry (it may be seconds off), so
 * agents give durations (`ttlMs`) and the gateway turns them into times.
 */

/** pending → announced → awarded → running → done | failed | cancelled | expired (docs/tasks.md) */
export const TASK_STATES = ["pending", "announced", "awarded", "running", "done", "failed", "cancelled", "expired"] as const;
export type TaskState = (typeof TASK_STATES)[number];
export const FINAL_TASK_STATES: readonly TaskState[] = ["done", "failed", "cancelled", "expired"];

/**
 * How a task finds its agent: `direct` to a named assignee; `auction` by contract net; `negotiation`
 * by iterated contract net for a divisible amount (`params.amount`) split across several agents.
 */
export type Allocation = "direct" | "auction" | "negotiation";

/** `max`: the highest bid wins (bids are utility or a price offered); `min`: the lowest (bids are costs). */
export type BidObjective = "max" | "min";
/** first-price: the winner's price is its own bid; second-price (Vickrey): the runner-up's bid. */
export type PriceRule = "first-price" | "second-price";

export interface AuctionOptions {
  objective: BidObjective;
  rule: PriceRule;
  /** how long bidders have to answer a call for proposals */
  bidWindowMs: number;
  /** bids worse than this are refused: below it for `max`, above it for `min` */
  reserve?: number;
  /** how long a winner has to confirm the award before the next bid is tried */
  confirmMs: number;
  /** maximum calls for proposals (announce rounds) before the task fails with no allocation */
  maxRounds: number;
}

export interface NegotiationOptions {
  /** rounds of counter-proposals before settling for what was offered */
  maxRounds: number;
  /** the smallest part worth assigning, in the task's unit */
  minPart?: number;
}

/** What a creator gives (code, CLI, MQTT). Validated by src/tasks/; unknown fields are refused. */
export interface TaskSpec {
  /** given: a second task with this id is refused (LOS_E_TASK_DUPLICATE); omitted: generated */
  id?: string;
  /** what to do, e.g. "shed-load", "machine-part"; agents say which types they take */
  type: string;
  /** skills every eligible agent must have (its task types count as skills) */
  requires?: string[];
  params?: Record<string, unknown>;
  /** 0 (lowest) … 9; higher-priority tasks are announced first (default 5) */
  priority?: number;
  /** ms since the epoch: not done by then → expired */
  deadline?: number;
  tenant?: string;
  allocation?: Allocation;
  /** with allocation `direct` */
  assignee?: string;
  auction?: Partial<AuctionOptions>;
  negotiation?: Partial<NegotiationOptions>;
  /** how long a winner's hold on the task lasts without a heartbeat (default 3 × heartbeat) */
  leaseMs?: number;
  /**
   * runs that report failure are tried again this often, each time by another agent (the one that
   * failed is excluded; a direct task stays with its assignee); default 0: a reported failure is final
   */
  retries?: number;
}

export interface TaskError {
  code: string;
  message: string;
}

/** One agent's share of a negotiated task. */
export interface TaskPart {
  agent: string;
  quantity: number;
  price: number;
  state: TaskState;
  attempt: number;
}

/** A task as the gateway keeps it (SQLite `tasks`) and shows it (`llmagentos tasks`, retained on the bus). */
export interface TaskRecord {
  id: string;
  type: string;
  requires: string[];
  params: Record<string, unknown>;
  priority: number;
  deadline?: number;
  tenant?: string;
  allocation: Allocation;
  assignee?: string;
  auction: AuctionOptions;
  negotiation: NegotiationOptions;
  leaseMs: number;
  state: TaskState;
  /** who created it: `agent:<id>`, `user:<name>`, `cli`, `code` */
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  /** increases with every award: the fencing token a winner's reports must carry */
  attempt: number;
  /** announce rounds so far */
  round: number;
  winner?: string;
  price?: number;
  /** negotiation: the split */
  parts?: TaskPart[];
  /** agents that let this task down (silent winner, died, refused, failed a retried run): not asked again */
  excluded: string[];
  /** retries allowed after a run reports failure (absent: 0) */
  retries?: number;
  /** runs (or negotiated parts) that reported failure so far (absent: 0) */
  failedRuns?: number;
  result?: unknown;
  error?: TaskError;
}

/** One transition or bid outcome of a task, as stored (SQLite `task_events`) and shown by `tasks show`. */
export interface TaskEvent {
  id: number;
  taskId: string;
  ts: number;
  event: string;
  agent?: string;
  attempt?: number;
  code?: string;
  data?: unknown;
}

/** gateway → bidder: a call for proposals. */
export interface CallForProposals {
  taskId: string;
  type: string;
  requires: string[];
  params: Record<string, unknown>;
  priority: number;
  deadline?: number;
  tenant?: string;
  objective: BidObjective;
  /** bids must arrive before this (gateway clock) */
  bidDeadline: number;
  round: number;
  /** negotiation: the amount still wanted; a bid may offer part of it */
  quantity?: number;
  /** negotiation counter-proposal: the price the manager now offers per unit */
  counterPrice?: number;
}

/** bidder → gateway. `undefined`/null from a bid function means "no bid". */
export interface BidOffer {
  /** utility or price (objective max) or cost (objective min); a finite number */
  value: number;
  /** negotiation: how much of `quantity` the bidder takes on */
  quantity?: number;
  note?: string;
}

/** A bid as the gateway recorded it. */
export interface Bid extends BidOffer {
  taskId: string;
  bidder: string;
  round: number;
  /** gateway clock at arrival (the bidder's timestamps are ignored) */
  receivedAt: number;
}

/** gateway → winner: the award; the winner confirms or refuses (TaskAwardReply). */
export interface TaskAward {
  taskId: string;
  type: string;
  params: Record<string, unknown>;
  /** fencing token: reports with another attempt are refused as stale */
  attempt: number;
  price: number;
  /** negotiation: the winner's part */
  quantity?: number;
  /** the task lease lasts this long and is renewed by the agent's heartbeat */
  leaseMs: number;
  deadline?: number;
}

export interface TaskAwardReply {
  accept: boolean;
  reason?: string;
}

/** gateway → winner after it confirmed: run it. Actuations inside carry idempotency keys. */
export interface TaskRun {
  taskId: string;
  type: string;
  params: Record<string, unknown>;
  attempt: number;
  quantity?: number;
  deadline?: number;
}

/** winner → gateway: how the run ended. */
export type TaskOutcome = { ok: true; result?: unknown } | { ok: false; error: TaskError };

/** What the gateway asks an agent; every host (in-process, worker, process, external) answers it. */
export type AgentQuestion =
  | { kind: "cfp"; cfp: CallForProposals }
  | { kind: "award"; award: TaskAward }
  | { kind: "run"; run: TaskRun }
  | { kind: "cancel"; taskId: string; attempt: number; reason: string };

export type AgentAnswer<Q extends AgentQuestion> = Q extends { kind: "cfp" }
  ? BidOffer | undefined
  : Q extends { kind: "award" }
    ? TaskAwardReply
    : Q extends { kind: "run" }
      ? TaskOutcome
      : void;

// ---- coordination: leases, reservations, intents, facts ----

export type LeaseKind = "lease" | "reservation";

/**
 * An exclusive, time-bounded hold on a resource: `point:<device>/<point>` (an actuator) or
 * `task:<id>`. A lease starts now and is renewed by the holder's heartbeat; a reservation is a
 * window in the future, not renewed.
 */
export interface LeaseRecord {
  resource: string;
  holder: string;
  kind: LeaseKind;
  /** increases with every grant of the resource: a fencing token */
  token: number;
  from: number;
  until: number;
  /** leases: renewal extends `until` to now + ttlMs */
  ttlMs?: number;
}

export type LeaseResult = { ok: true; lease: LeaseRecord } | { ok: false; code: string; message: string; holder?: string; until?: number };

export type FactScope = "agent" | "tenant" | "site";

export interface Fact {
  scope: FactScope;
  /** agent id (scope agent), tenant id (scope tenant), site id (scope site) */
  owner: string;
  key: string;
  value: unknown;
  ts: number;
  expiresAt?: number;
  /** the agent or user that wrote it */
  by: string;
}

/** agent → gateway: coordination requests; every host forwards them to AgentCalls.coordinate. */
export type CoordinationRequest =
  | { op: "lease.acquire"; point: string; ttlMs: number }
  /** hold the point from `inMs` from now for `forMs` (durations: the agent's clock may be off) */
  | { op: "lease.reserve"; point: string; inMs: number; forMs: number }
  | { op: "lease.release"; point: string }
  | { op: "intent"; point: string; value: unknown; inMs: number; reason: string }
  | { op: "fact.put"; key: string; value: unknown; scope: FactScope; ttlMs?: number }
  | { op: "fact.get"; key: string; scope: FactScope }
  | { op: "fact.delete"; key: string; scope: FactScope }
  | { op: "task.create"; spec: TaskSpec }
  | { op: "task.progress"; taskId: string; attempt: number; note?: string }
  /** a task given in code (`agent.assignTask(fn)`), recorded so `llmagentos tasks` shows it */
  | { op: "task.local"; localId: string; name: string; phase: "running" | "done" | "failed"; error?: TaskError };

export type CoordinationReply =
  | { ok: true; lease?: LeaseRecord; fact?: Fact | null; task?: TaskRecord }
  | { ok: false; code: string; message: string; holder?: string; until?: number };
