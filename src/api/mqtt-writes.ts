/**
 * Point writes requested over MQTT (`…/devices/<device>/write`): parsed, attributed to the client's
 * authenticated identity, sent through the one actuation path, and answered with the standard
 * envelope by the request/reply rules of mqtt-requests.ts (a refused write carries its audit id).
 */
import type { AedesPublishPacket, Client } from "aedes";
import type { Authorizer } from "../bus/authorize.js";
import type { BrokerHandle } from "../bus/broker.js";
import { topicMatches } from "../bus/topic-rules.js";
import { LosError } from "../core/errors.js";
import { gatewayBase, type DeviceWriteRequest, type GatewayScope } from "../core/topics.js";
import type { Actor, Logger } from "../core/types.js";
import type { ActuationResult } from "../devices/actuation.js";
import { requestHandler } from "./mqtt-requests.js";

export interface MqttWritesDeps {
  broker: BrokerHandle;
  authorizer: Authorizer;
  scope: GatewayScope;
  logger: Logger;
  actuate(actor: Actor, point: string, value: DeviceWriteRequest["value"], reason: string): Promise<ActuationResult>;
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

  const handle = requestHandler({ broker, authorizer: deps.authorizer, scope, log, what: "write" }, async ({ topic, body, identity, clientId }) => {
    const device = topic.split("/").at(-2)!;
    const req = checkRequest(body);
    const actor: Actor = { kind: "mqtt", id: identity?.username ?? `client:${clientId}`, role: identity?.role ?? "anonymous" };
    if (identity?.tenant !== undefined) actor.tenant = identity.tenant;
    const result = await deps.actuate(actor, `${device}/${req.point}`, req.value, req.reason);
    if (!result.ok) throw new LosError(result.code, result.message, { details: { auditId: result.auditId } });
    return { auditId: result.auditId, point: result.point, value: result.value };
  });

  const onPublish = (packet: AedesPublishPacket, client: Client | null) => {
    // in-process publications (client null) are the gateway's own; only network clients request writes
    if (client && topicMatches(filter, packet.topic)) void handle(packet, client);
  };
  broker.aedes.on("publish", onPublish);
  return () => broker.aedes.removeListener("publish", onPublish);
}
