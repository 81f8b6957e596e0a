/**
 * Point writes requested over MQTT (`…/devices/<device>/write`): parsed, attributed to the client's
 * authenticated identity, sent through the one actuation path, and answered with the standard
 * envelope on `replyTo` (a topic the client may subscribe to) or the default reply topic: a tenant
 * user's `…/tenants/<T>/replies/<correlationId>` (only its tenant can read it), everyone else's
 * `…/replies/<correlationId>`. A request whose replyTo the client could not read is dropped
 * unanswered (answering it would leak to whoever reads that topic) and logged.
 */
import type { AedesPublishPacket, Client } from "aedes";
import type { Authorizer, Identity } from "../bus/authorize.js";
import type { BrokerHandle } from "../bus/broker.js";
import { tenantReplyTopic } from "../bus/tenant-authorizer.js";
import { topicMatches } from "../bus/topic-rules.js";
import { errorEnvelope, LosError, okEnvelope } from "../core/errors.js";
import { gatewayBase, topics, type DeviceWriteRequest, type GatewayScope } from "../core/topics.js";
import type { Actor, Logger } from "../core/types.js";
import type { ActuationResult } from "../devices/actuation.js";

export interface MqttWritesDeps {
  broker: BrokerHandle;
  authorizer: Authorizer;
  scope: GatewayScope;
  logger: Logger;
  actuate(actor: Actor, point: string, value: DeviceWriteRequest["value"], reason: string): Promise<ActuationResult>;
}

function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString("utf8"));
  } catch {
    throw new LosError("LOS_E_REQUEST_INVALID", "the write request is not JSON");
  }
}

function checkRequest(body: unknown): DeviceWriteRequest {
  const b = body as Partial<DeviceWriteRequest>;
  if (!b || typeof b !== "object" || typeof b.point !== "string" || typeof b.reason !== "string" || b.reason.length === 0) {
    throw new LosError("LOS_E_REQUEST_INVALID", 'expected {"point": string, "value": number|boolean, "reason": string}');
  }
  if (typeof b.value !== "number" && typeof b.value !== "boolean") {
    throw new LosError("LOS_E_REQUEST_INVALID", "value must be a number or a boolean");
  }
  return b as DeviceWriteRequest;
}

/** Start serving; returns a function that stops it. */
export function serveMqttWrites(deps: MqttWritesDeps): () => void {
  const { broker, scope, logger } = deps;
  const filter = `${gatewayBase(scope)}/devices/+/write`;
  const log = logger.child({ component: "mqtt-writes" });

  const defaultReplyTopic = (identity: Identity | undefined, correlationId: string) =>
    identity?.role === "tenant" && identity.tenant !== undefined
      ? tenantReplyTopic(scope, identity.tenant, correlationId)
      : topics.reply(scope, correlationId);

  const reply = (topic: string, body: unknown) =>
    broker.client.publish(topic, body as object).catch((err: unknown) => log.warn({ err, topic }, "write reply not delivered"));

  const handle = async (packet: AedesPublishPacket, client: Client) => {
    const identity = broker.identityOf(client.id);
    const device = packet.topic.split("/").at(-2)!;
    let correlationId: string | undefined;
    let replyTopic: string | undefined;
    try {
      const body = parseJson(Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload));
      // where to answer comes first, so a request with a bad shape still gets its coded reply
      const head = (body && typeof body === "object" ? body : {}) as Partial<Record<"correlationId" | "replyTo", unknown>>;
      correlationId = typeof head.correlationId === "string" ? head.correlationId.slice(0, 128) : undefined;
      const replyTo = typeof head.replyTo === "string" ? head.replyTo : undefined;
      replyTopic = replyTo ?? (correlationId ? defaultReplyTopic(identity, correlationId.replace(/[/#+]/g, "_")) : undefined);
      if (head.replyTo !== undefined && (!identity || replyTo === undefined || /[#+]/.test(replyTo) || !deps.authorizer.canSubscribe(identity, replyTo))) {
        replyTopic = undefined;
        throw new LosError("LOS_E_REQUEST_INVALID", "replyTo must be a topic this client may subscribe to");
      }
      const req = checkRequest(body);
      const actor: Actor = { kind: "mqtt", id: identity?.username ?? `client:${client.id}`, role: identity?.role ?? "anonymous" };
      if (identity?.tenant !== undefined) actor.tenant = identity.tenant;
      const result = await deps.actuate(actor, `${device}/${req.point}`, req.value, req.reason);
      if (replyTopic) {
        await reply(
          replyTopic,
          result.ok
            ? okEnvelope({ auditId: result.auditId, point: result.point, value: result.value }, correlationId)
            : { ok: false, error: { code: result.code, message: result.message, details: { auditId: result.auditId } }, correlationId },
        );
      }
    } catch (err) {
      const code = err instanceof LosError ? err.code : undefined;
      const who = { client: client.id, username: identity?.username, correlationId, answered: replyTopic !== undefined };
      log.warn({ code, err: (err as Error).message, ...who }, "bad write request");
      if (replyTopic) await reply(replyTopic, errorEnvelope(err, correlationId));
    }
  };

  const onPublish = (packet: AedesPublishPacket, client: Client | null) => {
    // in-process publications (client null) are the gateway's own; only network clients request writes
    if (client && topicMatches(filter, packet.topic)) void handle(packet, client);
  };
  broker.aedes.on("publish", onPublish);
  return () => broker.aedes.removeListener("publish", onPublish);
}
