/**
 * Requests over MQTT (point writes, tasks): the shared request/reply rules. The body is JSON; the
 * answer is the standard envelope with the request's correlationId, published on `replyTo` (a topic
 * the client may subscribe to) or on its identity's default reply topic: a tenant user's
 * `…/tenants/<T>/replies/<correlationId>` (only its tenant can read it), everyone else's
 * `…/replies/<correlationId>`. A request whose replyTo the client could not read is dropped
 * unanswered (answering would leak to whoever reads that topic) and logged.
 */
import type { AedesPublishPacket, Client } from "aedes";
import type { Authorizer, Identity } from "../bus/authorize.js";
import type { BrokerHandle } from "../bus/broker.js";
import { tenantReplyTopic } from "../bus/tenant-authorizer.js";
import { errorEnvelope, LosError, okEnvelope } from "../core/errors.js";
import { topics, type GatewayScope } from "../core/topics.js";
import type { Logger } from "../core/types.js";

export interface MqttRequest {
  topic: string;
  /** the parsed JSON body (an object; anything else was refused before) */
  body: Record<string, unknown>;
  identity: Identity | undefined;
  clientId: string;
}

export interface RequestHandlerDeps {
  broker: BrokerHandle;
  authorizer: Authorizer;
  scope: GatewayScope;
  log: Logger;
  /** what the requests are, for messages and logs: "write", "task" */
  what: string;
}

/** Handle one request: `act` returns the reply's data or throws a coded error (answered as such). */
export function requestHandler(deps: RequestHandlerDeps, act: (req: MqttRequest) => Promise<unknown>): (packet: AedesPublishPacket, client: Client) => Promise<void> {
  const { broker, scope, log, what } = deps;
  const defaultReplyTopic = (identity: Identity | undefined, correlationId: string) =>
    identity?.role === "tenant" && identity.tenant !== undefined ? tenantReplyTopic(scope, identity.tenant, correlationId) : topics.reply(scope, correlationId);
  const reply = (topic: string, body: unknown) => broker.client.publish(topic, body as object).catch((err: unknown) => log.warn({ err, topic }, `${what} reply not delivered`));

  return async (packet, client) => {
    const identity = broker.identityOf(client.id);
    let correlationId: string | undefined;
    let replyTopic: string | undefined;
    try {
      const body = parseJson(Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload), what);
      // where to answer comes first, so a request with a bad shape still gets its coded reply
      const head = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
      correlationId = typeof head.correlationId === "string" ? head.correlationId.slice(0, 128) : undefined;
      const replyTo = typeof head.replyTo === "string" ? head.replyTo : undefined;
      replyTopic = replyTo ?? (correlationId ? defaultReplyTopic(identity, correlationId.replace(/[/#+]/g, "_")) : undefined);
      if (head.replyTo !== undefined && (!identity || replyTo === undefined || /[#+]/.test(replyTo) || !deps.authorizer.canSubscribe(identity, replyTo))) {
        replyTopic = undefined;
        throw new LosError("LOS_E_REQUEST_INVALID", "replyTo must be a topic this client may subscribe to");
      }
      if (!body || typeof body !== "object" || Array.isArray(body)) throw new LosError("LOS_E_REQUEST_INVALID", `a ${what} request is a JSON object`);
      const data = await act({ topic: packet.topic, body: head, identity, clientId: client.id });
      if (replyTopic) await reply(replyTopic, okEnvelope(data, correlationId));
    } catch (err) {
      const code = err instanceof LosError ? err.code : undefined;
      const who = { client: client.id, username: identity?.username, correlationId, answered: replyTopic !== undefined };
      log.warn({ code, err: (err as Error).message, ...who }, `${what} request refused`);
      if (replyTopic) await reply(replyTopic, errorEnvelope(err, correlationId));
    }
  };
}

function parseJson(payload: Buffer, what: string): unknown {
  try {
    return JSON.parse(payload.toString("utf8"));
  } catch {
    throw new LosError("LOS_E_REQUEST_INVALID", `the ${what} request is not JSON`);
  }
}
