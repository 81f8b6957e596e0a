/**
 * aedes authorizePublish / authorizeSubscribe hooks: our topic rules and limits first, then the
 * pluggable Authorizer. MQTT 3.1.1 has no negative PUBACK, so a refused PUBLISH closes the
 * connection (as aedes does for any authorizePublish error); a refused SUBSCRIBE filter gets 0x80
 * in SUBACK, and a malformed filter closes the connection [MQTT-4.8.0-1]. An authorized PUBLISH
 * over its client's rate is held back (rate-limit.ts).
 */
import type { Client, PublishPacket, Subscription } from "aedes";
import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/types.js";
import type { Authorizer, Identity } from "./authorize.js";
import type { BusStatsCollector } from "./bus-stats.js";
import { PublishThrottle } from "./rate-limit.js";
import { checkTopicFilter, checkTopicName, type TopicLimits } from "./topic-rules.js";

export interface AclHooksOptions {
  authorizer: Authorizer;
  /** messagesPerSecond: every client's publish rate where the authorizer names none */
  limits: TopicLimits & { maxPayloadBytes: number; messagesPerSecond?: number };
  logger: Logger;
  clock: Clock;
  stats: BusStatsCollector;
  identities: WeakMap<Client, Identity>;
}

function describe(client: Client, identity: Identity | undefined) {
  return { clientId: client.id, username: identity?.username, role: identity?.role, ip: identity?.ip };
}

export function createAclHooks(o: AclHooksOptions) {
  const throttle = new PublishThrottle({ clock: o.clock, logger: o.logger, stats: o.stats });

  function authorizePublish(client: Client | null, packet: PublishPacket, cb: (err?: Error | null) => void): void {
    if (!client) return cb(null); // a will left by an earlier broker incarnation: already checked at CONNECT
    const identity = o.identities.get(client);
    const who = describe(client, identity);
    const payloadBytes = typeof packet.payload === "string" ? Buffer.byteLength(packet.payload) : packet.payload.length;
    if (payloadBytes > o.limits.maxPayloadBytes) {
      o.stats.inc("payloadTooLarge");
      o.logger.warn(
        { code: "LOS_E_BUS_PAYLOAD_TOO_LARGE", ...who, topic: packet.topic, payloadBytes, max: o.limits.maxPayloadBytes },
        "MQTT publish refused: payload too large; client disconnected",
      );
      return cb(new Error("payload too large"));
    }
    const problem = checkTopicName(packet.topic, o.limits);
    if (problem) {
      const code = problem.kind === "malformed" ? "LOS_E_BUS_PROTOCOL" : "LOS_E_BUS_TOPIC_INVALID";
      o.stats.inc(problem.kind === "malformed" ? "protocolErrors" : "topicRejected");
      o.logger.warn({ code, ...who, topic: packet.topic.slice(0, 200) }, `MQTT publish refused: ${problem.reason}; client disconnected`);
      return cb(new Error(problem.reason));
    }
    if (!identity || !o.authorizer.canPublish(identity, packet.topic)) {
      o.stats.inc("notAuthorized");
      o.logger.warn({ code: "LOS_E_BUS_NOT_AUTHORIZED", ...who, topic: packet.topic }, "MQTT publish not authorized; client disconnected");
      return cb(new Error("not authorized"));
    }
    const rate = o.authorizer.publishRateOf ? o.authorizer.publishRateOf(identity) : o.limits.messagesPerSecond;
    if (rate === undefined) return cb(null);
    throttle.admit(client, rate, () => client.closed, who, (err) => cb(err ?? null));
  }

  function authorizeSubscribe(
    client: Client,
    sub: Subscription,
    cb: (err: Error | null, sub?: Subscription | null) => void,
  ): void {
    const identity = o.identities.get(client);
    const who = describe(client, identity);
    const problem = checkTopicFilter(sub.topic, o.limits);
    if (problem?.kind === "malformed") {
      o.stats.inc("protocolErrors");
      o.logger.warn({ code: "LOS_E_BUS_PROTOCOL", ...who, filter: sub.topic.slice(0, 200) }, `MQTT subscribe: ${problem.reason}; client disconnected`);
      return cb(new Error(problem.reason));
    }
    if (problem) {
      o.stats.inc("topicRejected");
      o.logger.warn({ code: "LOS_E_BUS_TOPIC_INVALID", ...who, filter: sub.topic.slice(0, 200) }, `MQTT subscribe refused: ${problem.reason}`);
      return cb(null, null);
    }
    if (!identity || !o.authorizer.canSubscribe(identity, sub.topic)) {
      o.stats.inc("notAuthorized");
      o.logger.warn({ code: "LOS_E_BUS_NOT_AUTHORIZED", ...who, filter: sub.topic }, "MQTT subscribe not authorized");
      return cb(null, null);
    }
    cb(null, sub);
  }

  return { authorizePublish, authorizeSubscribe, close: () => throttle.close() };
}
