/**
 * The MQTT topic tree: the public API of a gateway. Every topic the project publishes or listens to
 * is built here, and `TopicPayloads` says what travels on it. Documented in docs/topics.md; the
 * root segment carries the contract version, so a breaking change moves to `los/v2`.
 */
import type { ErrorCode } from "./errors.js";
import type { Quality, Value } from "./types.js";

export const TOPIC_ROOT = "los/v1";

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
  /** every actuation attempt, accepted or refused */
  audit: (s: GatewayScope) => `${gatewayBase(s)}/audit`,
  /** default reply topic for requests without replyTo */
  reply: (s: GatewayScope, correlationId: string) => `${gatewayBase(s)}/replies/${correlationId}`,
} as const;

export type TopicKind = keyof typeof topics;

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

export interface TopicPayloads {
  gatewayStatus: GatewayStatusPayload;
  deviceStatus: DeviceStatusPayload;
  deviceState: DeviceStatePayload;
  deviceWrite: DeviceWriteRequest;
  agentStatus: AgentStatusPayload;
  agentOut: unknown;
  audit: AuditPayload;
  reply: unknown;
}
