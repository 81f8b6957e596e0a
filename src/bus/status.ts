/**
 * Retained status topics with last will: a component publishes `online`-like state retained, and
 * registers the `offline` state as its MQTT will so that a dead client is visible to everyone.
 * The gateway itself lives inside the broker and has no will: it publishes its offline status on
 * orderly shutdown, and a crashed gateway takes its broker (and every subscriber's view) with it.
 */
import type { BusClient } from "./bus-client.js";

export interface WillMessage {
  topic: string;
  payload: Buffer;
  qos: 1;
  retain: true;
}

/** The will an external MQTT client (an agent in another process) sets for its status topic. */
export function statusWill(topic: string, payload: object): WillMessage {
  return { topic, payload: Buffer.from(JSON.stringify(payload)), qos: 1, retain: true };
}

/** Publish a status retained at QoS 1 so late subscribers see the current state. */
export function publishStatus(bus: BusClient, topic: string, payload: object): Promise<void> {
  return bus.publish(topic, payload, { retain: true, qos: 1 });
}

/** Remove a retained status (empty retained payload [MQTT-3.3.1-10]), e.g. when a component is deleted. */
export function clearStatus(bus: BusClient, topic: string): Promise<void> {
  return bus.publish(topic, Buffer.alloc(0), { retain: true, qos: 1 });
}
