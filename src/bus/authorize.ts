/**
 * Who a connected MQTT client is, and the pluggable policy that says what it may publish and
 * subscribe to. The broker asks the Authorizer on every PUBLISH (including will messages) and every
 * SUBSCRIBE filter from a network client; in-process BusClient traffic is trusted and not checked.
 * The per-tenant policy is TenantAuthorizer (tenant-authorizer.ts); this file keeps the default.
 */
import { TOPIC_ROOT } from "../core/topics.js";
import { filterWithin, topicMatches } from "./topic-rules.js";

export type UserRole = "admin" | "tenant" | "agent" | "readonly";

export interface Identity {
  /** `anonymous` only on a loopback listener with allowAnonymous. */
  role: UserRole | "anonymous";
  username?: string;
  tenant?: string;
  clientId: string;
  /** remote address of the connection */
  ip: string;
  listener: "tcp" | "ws";
}

export interface Authorizer {
  canPublish(identity: Identity, topic: string): boolean;
  canSubscribe(identity: Identity, topicFilter: string): boolean;
  /** PUBLISH messages per second this client may send (token bucket); undefined: unlimited. */
  publishRateOf?(identity: Identity): number | undefined;
}

/** Filters anonymous loopback clients may subscribe inside. */
export const ANONYMOUS_SUBSCRIBE_SCOPE = `${TOPIC_ROOT}/#`;
/** The one topic pattern anonymous loopback clients may publish to: the checked write path. */
export const ANONYMOUS_PUBLISH_PATTERN = `${TOPIC_ROOT}/+/+/devices/+/write`;

function isSystemTopic(topicOrFilter: string): boolean {
  return topicOrFilter.startsWith("$");
}

/**
 * The default policy (see docs/bus.md):
 * - nobody publishes to `$` topics from the network (they belong to the broker);
 * - admin: publish anything else, subscribe to anything including `$SYS/#`;
 * - tenant, agent: publish and subscribe to anything outside `$` topics (a gateway with tenants
 *   uses TenantAuthorizer, which narrows them to their subtrees);
 * - readonly: subscribe to anything outside `$` topics, publish nothing;
 * - anonymous (loopback only): subscribe inside `los/v1/#`, publish only `los/v1/+/+/devices/+/write`.
 */
export const defaultAuthorizer: Authorizer = {
  canPublish(identity, topic) {
    if (isSystemTopic(topic)) return false;
    switch (identity.role) {
      case "admin":
      case "tenant":
      case "agent":
        return true;
      case "readonly":
        return false;
      case "anonymous":
        return topicMatches(ANONYMOUS_PUBLISH_PATTERN, topic);
    }
  },
  canSubscribe(identity, filter) {
    switch (identity.role) {
      case "admin":
        return true;
      case "tenant":
      case "agent":
      case "readonly":
        return !isSystemTopic(filter);
      case "anonymous":
        return filterWithin(filter, ANONYMOUS_SUBSCRIBE_SCOPE);
    }
  },
};
