/**
 * The MQTT topic tree: the public API of a gateway. Every topic the project publishes or listens to
 * is built here, and `TopicPayloads` says what travels on it. Documented in docs/topics.md; the
 * root segment carries the contract version, so a breaking change moves to `los/v2`.
 */
import type { Envelope, ErrorCode } from "./errors.js";
import type { Quality, Reading, Value } from "./types.js";
import type { BidOffer, CallForProposals, CoordinationRequest, TaskAward, TaskAwardReply, TaskOutcome, TaskRun } from "./task-types.js";

export const TOPIC_ROOT = "los/v1";
/** Version of the MQTT agent protocol (docs/agent-protocol.md) carried in `register`. */
export const AGENT_PROTOCOL_VERSION = 1;

/** A topic segment may not hold MQTT wildcards, separators or NUL, and must not be empty. */
const SEGMENT = /^[^/#+\u0000]+$/;

export function isValidSegment(s: string): boolean {
  return SEGMENT.test(s);
}

export interface GatewayScope {
  site: string;
  gateway: string;
}

export function gatewayBase(s: GatewayScope): string {
  return `${TOPIC_ROOT}/${s.site}/${s.gateway}`;
}

/** Everything about one agent lives under this prefix. */
export function agentBase(s: GatewayScope, agent: string): string {
  return `${gatewayBase(s)}/agents/${agent}`;
}

/** What an external agent publishes (agent → gateway), each at `agents/<id>/<kind>`. */
export const AGENT_REQUEST_KINDS = ["register", "heartbeat", "actuate", "log", "failed", "stopped", "gone", "bid", "award-reply", "task", "coordinate"] as const;
export type AgentRequestKind = (typeof AGENT_REQUEST_KINDS)[number];

/** What the gateway publishes to an external agent, each at `agents/<id>/in/<kind>`. */
export const AGENT_INBOX_KINDS = ["registered", "readings", "tasks", "replies", "stop", "reregister", "cfp", "award", "cancel"] as const;
export type AgentInboxKind = (typeof AGENT_INBOX_KINDS)[number];

export const topics = {
  /** retained, last will `offline` */
  gatewayStatus: (s: GatewayScope) => `${gatewayBase(s)}/status`,
  /** retained */
  deviceStatus: (s: GatewayScope, device: string) => `${gatewayBase(s)}/devices/${device}/status`,
  /** one message per device per poll cycle with every point that changed or is due for refresh; retained */
  deviceState: (s: GatewayScope, device: string) => `${gatewayBase(s)}/devices/${device}/state`,
  /** request: write a point through the checked path; answered on `replyTo` or `reply` */
  deviceWrite: (s: GatewayScope, device: string) => `${gatewayBase(s)}/devices/${device}/write`,
  /** retained */
  agentStatus: (s: GatewayScope, agent: string) => `${gatewayBase(s)}/agents/${agent}/status`,
  /** an agent's own publications live under this prefix */
  agentOut: (s: GatewayScope, agent: string, sub: string) => `${gatewayBase(s)}/agents/${agent}/out/${sub}`,
  /** agent → gateway (external agents): register, heartbeat, actuate, log, failed, stopped, gone (last will), bid, award-reply, task, coordinate */
  agentRequest: (s: GatewayScope, agent: string, kind: AgentRequestKind) => `${agentBase(s, agent)}/${kind}`,
  /** gateway → agent (external agents): the agent subscribes to `in/#` */
  agentInbox: (s: GatewayScope, agent: string, kind: AgentInboxKind) => `${agentBase(s, agent)}/in/${kind}`,
  /** every actuation attempt, accepted or refused */
  audit: (s: GatewayScope) => `${gatewayBase(s)}/audit`,
  /** request: create a task (TaskSpec + correlationId/replyTo); answered with the TaskRecord */
  taskCreate: (s: GatewayScope) => `${gatewayBase(s)}/tasks/create`,
  /** request: cancel a task ({ reason, correlationId, replyTo }) */
  taskCancel: (s: GatewayScope, task: string) => `${gatewayBase(s)}/tasks/${task}/cancel`,
  /** retained TaskRecord, republished on every transition; cleared some time after it ends */
  taskState: (s: GatewayScope, task: string) => `${gatewayBase(s)}/tasks/${task}/state`,
  /** retained LeaseRecord of an actuator or task while held; cleared (empty retained) when it ends */
  lease: (s: GatewayScope, resource: string) => `${gatewayBase(s)}/leases/${leaseTopicPath(resource)}`,
  /** an agent's announced intent to write a point (not retained) */
  intent: (s: GatewayScope, point: string) => `${gatewayBase(s)}/intents/${point}`,
  /** retained Fact; cleared when deleted or expired. owner: the agent, tenant or site id */
  fact: (s: GatewayScope, scope: "agent" | "tenant" | "site", owner: string, key: string) =>
    `${gatewayBase(s)}/facts/${scope === "site" ? "site" : scope === "tenant" ? `tenants/${owner}` : `agents/${owner}`}/${key}`,
  /** default reply topic for requests without replyTo */
  reply: (s: GatewayScope, correlationId: string) => `${gatewayBase(s)}/replies/${correlationId}`,
} as const;

export type TopicKind = keyof typeof topics;

/** `point:<device>/<point>` → `points/<device>/<point>`, `task:<id>` → `tasks/<id>` */
function leaseTopicPath(resource: string): string {
  const colon = resource.indexOf(":");
  const kind = resource.slice(0, colon);
  return `${kind === "point" ? "points" : kind === "task" ? "tasks" : kind}/${resource.slice(colon + 1)}`;
}

export interface GatewayStatusPayload {
  state: "online" | "offline";
  ts: number;
  version: string;
  site: string;
  gateway: string;
}

export interface DeviceStatusPayload {
  available: boolean;
  ts: number;
  /** last error code while unavailable */
  error?: string;
  message?: string;
  latencyMs?: number;
}

/** Compact per-point entry: v = value, q = quality, u = unit, t = timestamp (ms). */
export interface PointStatePayload {
  v: Value | null;
  q: Quality;
  u?: string;
  t: number;
  e?: string;
}

export interface DeviceStatePayload {
  ts: number;
  points: Record<string, PointStatePayload>;
}

export interface DeviceWriteRequest {
  point: string;
  value: Value;
  reason: string;
  correlationId?: string;
  replyTo?: string;
}

export interface AgentStatusPayload {
  state: "created" | "starting" | "running" | "stopping" | "stopped" | "failed";
  ts: number;
  error?: string;
  /** restarts by the supervisor so far */
  restarts?: number;
  /** why the last run ended without being asked to (crash, hang, memory, rate, …) */
  lastExit?: { code: string; message: string; ts: number };
}

export interface AuditPayload {
  id: number;
  ts: number;
  actor: string;
  point: string;
  value: Value;
  reason: string;
  outcome: "accepted" | "refused" | "failed";
  code?: ErrorCode;
}

/** agent → `register`: the first message of a session (and the answer to `in/reregister`). */
export interface AgentRegisterPayload {
  protocol: number;
  /** e.g. "python", "node" */
  language: string;
  version?: string;
  pid?: number;
  correlationId?: string;
  /** task types and skills the agent takes on (besides its manifest's `skills`) */
  skills?: string[];
}

/** What the gateway tells a registered agent about itself. */
export interface AgentSessionInfo {
  agent: string;
  tenant?: string;
  protocol: number;
  /** publish `heartbeat` this often; silence for 3 periods counts as hung */
  heartbeatMs: number;
  capabilities: { read: string[]; write: string[]; publish: string[]; subscribe: string[] };
  limits: { messagesPerSecond: number; actuationsPerMinute: number };
  /** `los/v1/<site>/<gw>/agents/<id>`: every topic of the protocol is under it */
  base: string;
}

/** gateway → `in/registered` */
export type AgentRegisteredPayload = Envelope<AgentSessionInfo>;

/** agent → `heartbeat`; usage fields are cumulative for the agent's process */
export interface AgentHeartbeatPayload {
  usage?: { cpuMs?: number; heapBytes?: number; decisions?: number; failures?: number };
  /** the agent's skills when they changed since `register` (e.g. handlers added once it runs) */
  skills?: string[];
}

/** agent → `actuate`: answered on `in/replies` with the same correlationId */
export interface AgentActuateRequest {
  correlationId: string;
  point: string;
  value: Value;
  reason: string;
  /** set on writes made while running a task: an earlier accepted write with this key is replayed, not repeated */
  idempotencyKey?: string;
}

/** agent → `log` */
export interface AgentLogPayload {
  level: "debug" | "info" | "warn" | "error";
  msg: string;
  obj?: Record<string, unknown>;
}

/** agent → `failed`: the agent gave up; agent → `gone`: its last will (the connection was lost) */
export interface AgentEndPayload {
  code?: string;
  message?: string;
}

/** gateway → `in/readings`: readings the agent may read, in batches (QoS 0) */
export interface AgentReadingsPayload {
  readings: Reading[];
}

/** gateway → `in/tasks`: run a task the agent confirmed (QoS 1); answered by `task` */
export type AgentTaskPayload = TaskRun;

/** gateway → `in/cfp`: a call for proposals (QoS 1); answered by `bid` before `cfp.bidDeadline` */
export interface AgentCfpPayload {
  cfp: CallForProposals;
}

/** agent → `bid`: an offer for one round of one task, or `decline: true` (no bid); any `ts` is ignored */
export type AgentBidPayload = { taskId: string; round: number } & ({ decline: true } | BidOffer);

/** gateway → `in/award`: the agent won (QoS 1); answered by `award-reply` */
export interface AgentAwardPayload {
  award: TaskAward;
}

/** agent → `award-reply` */
export interface AgentAwardReplyPayload extends TaskAwardReply {
  taskId: string;
  attempt: number;
}

/** agent → `task`: how the run of `in/tasks` ended */
export type AgentTaskReportPayload = { taskId: string; attempt: number } & TaskOutcome;

/** gateway → `in/cancel`: stop working on this attempt of the task (QoS 1); not answered */
export interface AgentCancelPayload {
  taskId: string;
  attempt: number;
  reason: string;
}

/** agent → `coordinate`: leases, intents, facts, tasks; answered on `in/replies` with the correlationId */
export interface AgentCoordinateRequest {
  correlationId: string;
  request: CoordinationRequest;
}

/** gateway → `in/stop`: finish, publish `stopped` and disconnect within graceMs */
export interface AgentStopPayload {
  graceMs: number;
}

export interface TopicPayloads {
  gatewayStatus: GatewayStatusPayload;
  deviceStatus: DeviceStatusPayload;
  deviceState: DeviceStatePayload;
  deviceWrite: DeviceWriteRequest;
  agentStatus: AgentStatusPayload;
  agentOut: unknown;
  audit: AuditPayload;
  reply: unknown;
  agentRequest:
    | AgentRegisterPayload
    | AgentHeartbeatPayload
    | AgentActuateRequest
    | AgentLogPayload
    | AgentEndPayload
    | AgentBidPayload
    | AgentAwardReplyPayload
    | AgentTaskReportPayload
    | AgentCoordinateRequest
    | Record<string, never>;
  agentInbox:
    | AgentRegisteredPayload
    | AgentReadingsPayload
    | AgentTaskPayload
    | AgentCfpPayload
    | AgentAwardPayload
    | AgentCancelPayload
    | Envelope<unknown>
    | AgentStopPayload
    | Record<string, never>;
}
