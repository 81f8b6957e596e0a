/**
 * Correction for aedes 1.2.0 [MQTT-3.8.4-6]: a message delivered through a wildcard subscription
 * keeps the publisher's QoS (aedes looks the granted QoS up by topic name, so only exact filters
 * downgrade). Our authorizeForward hook caps the outgoing QoS at the highest QoS granted to the
 * client's subscriptions that match the topic, which is also what [MQTT-3.3.5-1] asks when
 * subscriptions overlap (see docs/bus.md for the overlap case aedes still gets wrong).
 */
import type { AedesPublishPacket, Client } from "aedes";
import { topicMatches } from "./topic-rules.js";

interface ClientSubscriptions {
  subscriptions: Record<string, { qos: number } | undefined>;
}

/** Highest QoS granted to `client` on a filter matching `topic` (0 if none match). */
export function grantedQos(client: Client, topic: string): number {
  const subs = (client as unknown as ClientSubscriptions).subscriptions;
  const exact = subs[topic];
  let max = exact ? exact.qos : -1;
  if (max >= 2) return 2;
  for (const filter in subs) {
    const q = subs[filter]?.qos ?? 0;
    if (q > max && topicMatches(filter, topic)) {
      max = q;
      if (max >= 2) break;
    }
  }
  return Math.max(0, max);
}

export function capForwardQos(client: Client, packet: AedesPublishPacket): AedesPublishPacket {
  if (packet.qos === 0) return packet;
  const cap = grantedQos(client, packet.topic);
  if (packet.qos > cap) packet.qos = cap as 0 | 1 | 2;
  return packet;
}
