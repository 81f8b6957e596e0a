/**
 * Tasks over MQTT (docs/tasks.md): `…/tasks/create` (a TaskSpec plus correlationId/replyTo) answered
 * with the stored TaskRecord, `…/tasks/<id>/cancel` ({reason}) answered with the cancelled record,
 * and the retained `…/tasks/<id>/state` republished on every change (cleared when retention deletes
 * the finished task). Requests are attributed to the client's authenticated identity: a tenant user
 * creates and cancels only its tenant's tasks, a readonly user none, an admin any. Replies follow
 * mqtt-requests.ts: `replyTo` the client may read, else the default reply topic of its identity.
 */
import type { AedesPublishPacket, Client } from "aedes";
import type { Authorizer, Identity } from "../bus/authorize.js";
import type { BrokerHandle } from "../bus/broker.js";
import { topicMatches } from "../bus/topic-rules.js";
import { LosError } from "../core/errors.js";
import type { TaskRecord, TaskSpec } from "../core/task-types.js";
import { gatewayBase, topics, type GatewayScope } from "../core/topics.js";
import type { Logger } from "../core/types.js";
import type { TaskManager } from "../tasks/task-manager.js";
import { requestHandler } from "./mqtt-requests.js";

export interface MqttTasksDeps {
  broker: BrokerHandle;
  authorizer: Authorizer;
  scope: GatewayScope;
  logger: Logger;
  tasks: Pick<TaskManager, "create" | "cancel" | "get" | "onChange" | "onPruned">;
}

const REQUEST_KEYS = new Set(["correlationId", "replyTo"]);


function who(identity: Identity | undefined, clientId: string): string {
  return identity?.username ? `user:${identity.username}` : `client:${clientId}`;
}

/** May this identity act on tasks of `tenant`? */
function mayUse(identity: Identity | undefined, tenant: string | undefined): boolean {
  if (!identity || identity.role === "readonly") return false;
  if (identity.role === "tenant") return tenant !== undefined && tenant === identity.tenant;
  return true;
}

/** Start serving; returns a function that stops it. */
export function serveMqttTasks(deps: MqttTasksDeps): () => void {
  const { broker, scope, logger, tasks } = deps;
  const log = logger.child({ component: "mqtt-tasks" });
  const createTopic = topics.taskCreate(scope);
  const cancelFilter = `${gatewayBase(scope)}/tasks/+/cancel`;

  const handle = requestHandler({ broker, authorizer: deps.authorizer, scope, log, what: "task" }, async ({ topic, body, identity, clientId }) =>
    topic === createTopic ? create(body, identity, clientId) : cancel(topic.split("/").at(-2)!, body, identity, clientId),
  );

  const create = (body: Record<string, unknown>, identity: Identity | undefined, clientId: string): TaskRecord => {
    const spec: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(body)) if (!REQUEST_KEYS.has(k)) spec[k] = v;
    if (identity?.role === "tenant" && spec.tenant === undefined) spec.tenant = identity.tenant;
    if (!mayUse(identity, spec.tenant as string | undefined)) {
      throw new LosError("LOS_E_WRITE_NOT_PERMITTED", `${who(identity, clientId)} may not create tasks${spec.tenant !== undefined ? ` of tenant "${String(spec.tenant)}"` : ""}`);
    }
    return tasks.create(spec as unknown as TaskSpec, who(identity, clientId));
  };

  const cancel = async (id: string, body: Record<string, unknown>, identity: Identity | undefined, clientId: string): Promise<TaskRecord> => {
    const task = tasks.get(id);
    // a tenant user learns nothing of other tenants' tasks: unknown, as for a task that does not exist
    if (!task || (identity?.role === "tenant" && task.tenant !== identity.tenant)) throw new LosError("LOS_E_TASK_UNKNOWN", `no task with id "${id}"`);
    if (!mayUse(identity, task.tenant ?? (identity?.role === "tenant" ? undefined : ""))) throw new LosError("LOS_E_WRITE_NOT_PERMITTED", `${who(identity, clientId)} may not cancel task ${id}`);
    const reason = typeof body.reason === "string" && body.reason.length > 0 ? body.reason.slice(0, 512) : "cancelled over MQTT";
    return tasks.cancel(id, who(identity, clientId), reason);
  };

  const onPublish = (packet: AedesPublishPacket, client: Client | null) => {
    // in-process publications (client null) are the gateway's own
    if (!client) return;
    if (packet.topic === createTopic || topicMatches(cancelFilter, packet.topic)) void handle(packet, client);
  };
  broker.aedes.on("publish", onPublish);
  const publishState = (task: TaskRecord) =>
    void broker.client.publish(topics.taskState(scope, task.id), task as unknown as object, { retain: true, qos: 1 }).catch((err: unknown) => log.warn({ err, task: task.id }, "task state not published"));
  const offChange = tasks.onChange(publishState);
  const offPruned = tasks.onPruned((id) => void broker.client.publish(topics.taskState(scope, id), "", { retain: true, qos: 1 }).catch(() => {}));
  return () => {
    broker.aedes.removeListener("publish", onPublish);
    offChange();
    offPruned();
  };
}
