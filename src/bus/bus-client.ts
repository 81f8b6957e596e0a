/**
 * The in-process bus client used by the gateway's own components: no socket, no MQTT encoding,
 * no authentication (in-process code is trusted; what it may do is checked by its own layer).
 * It publishes with aedes.publish and subscribes on aedes's message emitter, so messages cross
 * freely between in-process handlers and network MQTT clients, retained messages included.
 */
import type { Aedes, AedesPublishPacket } from "aedes";
import { LosError } from "../core/errors.js";
import type { Logger } from "../core/types.js";
import { checkTopicFilter, checkTopicName, type TopicLimits } from "./topic-rules.js";

export interface PublishOptions {
  retain?: boolean;
  qos?: 0 | 1 | 2;
}

export interface MessageInfo {
  retain: boolean;
  qos: 0 | 1 | 2;
}

export type MessageHandler = (topic: string, payload: Buffer, info: MessageInfo) => void | Promise<void>;

export interface SubscribeOptions {
  /** also deliver the retained messages that match, as MQTT does on SUBSCRIBE (default false) */
  retained?: boolean;
}

export type Unsubscribe = () => void;

export interface BusClient {
  /** Publish; objects are JSON-encoded, strings UTF-8. Resolves when aedes has routed the message. */
  publish(topic: string, payload: object | string | Buffer, opts?: PublishOptions): Promise<void>;
  /**
   * Call `handler` for every message matching `filter` (MQTT wildcards; a filter starting with a
   * wildcard does not match `$` topics). Takes effect synchronously: a publish made after this
   * call returns is delivered. Returns the function that removes the subscription.
   */
  subscribe(filter: string, handler: MessageHandler, opts?: SubscribeOptions): Unsubscribe;
}

type Deliver = (packet: AedesPublishPacket, cb: () => void) => void;

interface RetainedPersistence {
  createRetainedStreamCombi(patterns: string[]): AsyncIterable<AedesPublishPacket>;
}

function encode(payload: object | string | Buffer): Buffer {
  if (Buffer.isBuffer(payload)) return payload;
  if (typeof payload === "string") return Buffer.from(payload, "utf8");
  return Buffer.from(JSON.stringify(payload), "utf8");
}

/**
 * A retained payload is kept until the topic's next retained message. A small Buffer is a slice of
 * Node's shared 8 KiB pool and would keep the whole slab alive: a heap snapshot under load had 45 slabs
 * held by the 100 devices' retained states. Kept ones get memory of their own.
 */
function ownMemory(buf: Buffer): Buffer {
  if (buf.byteLength === buf.buffer.byteLength) return buf;
  const own = Buffer.allocUnsafeSlow(buf.byteLength);
  buf.copy(own);
  return own;
}

export function createBusClient(aedes: Aedes, limits: TopicLimits, logger: Logger): BusClient {
  const log = logger.child({ component: "bus-client" });

  function call(handler: MessageHandler, filter: string, packet: AedesPublishPacket, retain: boolean): void {
    const payload = typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload;
    try {
      const r = handler(packet.topic, payload, { retain, qos: packet.qos });
      if (r && typeof (r as Promise<void>).then === "function") {
        (r as Promise<void>).catch((err: unknown) => log.error({ code: "LOS_E_INTERNAL", err, filter, topic: packet.topic }, "bus handler failed"));
      }
    } catch (err) {
      log.error({ code: "LOS_E_INTERNAL", err, filter, topic: packet.topic }, "bus handler threw");
    }
  }

  return {
    publish(topic, payload, opts = {}) {
      const problem = checkTopicName(topic, limits);
      if (problem) return Promise.reject(new LosError("LOS_E_BUS_TOPIC_INVALID", `${problem.reason}: ${topic.slice(0, 200)}`, { details: { topic } }));
      if (aedes.closed) return Promise.reject(new LosError("LOS_E_CLOSED", "the broker is closed"));
      const packet = {
        cmd: "publish" as const,
        topic,
        payload: opts.retain ? ownMemory(encode(payload)) : encode(payload),
        qos: opts.qos ?? 0,
        retain: opts.retain ?? false,
        dup: false,
      };
      return new Promise((resolve, reject) => {
        aedes.publish(packet, (err) => (err ? reject(new LosError("LOS_E_INTERNAL", err.message, { cause: err })) : resolve()));
      });
    },

    subscribe(filter, handler, opts = {}) {
      const problem = checkTopicFilter(filter, limits);
      if (problem) throw new LosError("LOS_E_BUS_TOPIC_INVALID", `${problem.reason}: ${filter.slice(0, 200)}`, { details: { filter } });
      const blockDollar = filter.startsWith("+") || filter.startsWith("#");
      let active = true;
      const deliver: Deliver = (packet, cb) => {
        if (active && !(blockDollar && packet.topic.charCodeAt(0) === 36)) call(handler, filter, packet, false);
        cb();
      };
      aedes.subscribe(filter, deliver, () => {});
      if (opts.retained) {
        const persistence = (aedes as unknown as { persistence: RetainedPersistence }).persistence;
        void (async () => {
          for await (const packet of persistence.createRetainedStreamCombi([filter])) {
            if (!active) break;
            if (blockDollar && packet.topic.startsWith("$")) continue;
            call(handler, filter, packet, true);
          }
        })().catch((err: unknown) => log.error({ code: "LOS_E_INTERNAL", err, filter }, "reading retained messages failed"));
      }
      return () => {
        if (!active) return;
        active = false;
        aedes.unsubscribe(filter, deliver, () => {});
      };
    },
  };
}
