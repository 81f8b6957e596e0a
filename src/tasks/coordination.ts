/**
 * Action coordination and information sharing for one gateway (docs/coordination.md): the lease
 * table, intents and the fact space behind the agents' `coordinate` requests, their retained
 * publication on the bus, the lease check of the actuation path, and the safe value of an actuator
 * whose lease ran out. Task requests (task.*) are delegated to the task manager when one is given.
 */
import type { BusClient } from "../bus/bus-client.js";
import type { Clock } from "../core/clock.js";
import { toLosError } from "../core/errors.js";
import { compilePointPatterns } from "../core/point-pattern.js";
import type { CoordinationReply, CoordinationRequest, Fact, FactScope, LeaseResult } from "../core/task-types.js";
import { topics, type GatewayScope } from "../core/topics.js";
import { silentLogger, splitPointId, type Actor, type Logger } from "../core/types.js";
import { Facts, factKeyProblem, type FactStore } from "./fact-space.js";
import { Intents, type Intent } from "./intents.js";
import { Leases, pointResource, type LeaseConflict, type LeaseStore } from "./leases.js";

export type TaskCoordinationRequest = Extract<CoordinationRequest, { op: `task.${string}` }>;

export interface CoordinationDeps {
  /** state.db access: `new LeasesRepo(db)` and `new FactsRepo(db)` from src/store/ */
  store: { leases: LeaseStore; facts: FactStore };
  bus: Pick<BusClient, "publish">;
  scope: GatewayScope;
  clock: Clock;
  logger?: Logger;
  /** coordination.requireLease: point patterns written only under a lease */
  requireLease?: readonly string[];
  /** the capability check: an agent may lease, reserve or announce only points it may write */
  canWrite(actor: Actor, pointId: string): boolean;
  /** the agent's tenant (undefined: none, or unknown agent) */
  agentTenant(agentId: string): string | undefined;
  /** an actuator lease ran out without release: drive the point to its safe value */
  driveToSafe(pointId: string, reason: string): Promise<unknown>;
  /** owner of site-scope facts */
  siteId: string;
  /** the task manager's handler for task.create, task.progress and task.local */
  tasks?: (agentId: string, request: TaskCoordinationRequest) => Promise<CoordinationReply>;
}

export interface Coordination {
  readonly leases: Leases;
  readonly facts: Facts;
  readonly intents: Intents;
  /** the lease step of the actuation path (ActuationDeps.checkLease) */
  checkWrite(actor: Actor, pointId: string): { ok: true } | LeaseConflict;
  /** an agent's coordination request; never rejects: failures are coded replies */
  handle(agentId: string, request: CoordinationRequest): Promise<CoordinationReply>;
  close(): void;
}

type Fail = Extract<CoordinationReply, { ok: false }>;

const fail = (code: string, message: string): Fail => ({ ok: false, code, message });

export function createCoordination(deps: CoordinationDeps): Coordination {
  const log = (deps.logger ?? silentLogger).child({ component: "coordination" });
  const { bus, scope, clock } = deps;
  const leases = new Leases({ store: deps.store.leases, clock, logger: log, requireLease: compilePointPatterns(deps.requireLease) });
  const facts = new Facts({ store: deps.store.facts, clock, logger: log });
  const publish = (topic: string, payload: object | string, what: "lease" | "fact" | "intent"): void => {
    bus.publish(topic, payload, { retain: what !== "intent", qos: 1 }).catch((err: unknown) => {
      log.warn({ err, topic }, `publishing the ${what} failed`);
    });
  };
  const intents = new Intents({
    clock,
    conflictIn: (resource, holder, from, until) => leases.conflictIn(resource, holder, from, until),
    publish: (i: Intent) => publish(topics.intent(scope, i.point), { agent: i.agent, point: i.point, value: i.value, at: i.at, reason: i.reason }, "intent"),
  });

  const publishLease = (resource: string): void => publish(topics.lease(scope, resource), leases.holderOf(resource) ?? "", "lease");
  const publishFact = (fact: Fact, gone: boolean): void => publish(topics.fact(scope, fact.scope, fact.owner, fact.key), gone ? "" : fact, "fact");
  const offLeaseChange = leases.onChange(publishLease);
  const offFactChange = facts.onChange(publishFact);
  // the broker keeps retained messages in memory: what state.db brought back is published again
  for (const resource of new Set(leases.list().map((r) => r.resource))) publishLease(resource);
  for (const fact of facts.list()) publishFact(fact, false);
  const offExpired = leases.onExpired((lease) => {
    if (!lease.resource.startsWith("point:")) return;
    const point = lease.resource.slice("point:".length);
    deps.driveToSafe(point, `lease of agent ${lease.holder} on ${point} expired`).catch((err: unknown) => {
      log.error({ err, point, holder: lease.holder }, "driving the point to its safe value after lease expiry failed");
    });
  });

  const actorOf = (agentId: string): Actor => {
    const tenant = deps.agentTenant(agentId);
    return tenant === undefined ? { kind: "agent", id: agentId } : { kind: "agent", id: agentId, tenant };
  };

  /** the point an agent asks about, or why it may not */
  const checkPoint = (agentId: string, point: unknown): string | Fail => {
    if (typeof point !== "string" || !splitPointId(point)) return fail("LOS_E_LEASE_INVALID", "point must be <device>/<point>");
    if (!deps.canWrite(actorOf(agentId), point)) return fail("LOS_E_WRITE_NOT_PERMITTED", `agent "${agentId}" may not write ${point}, so it may not lease or announce it`);
    return point;
  };

  /** the owner of a fact scope for this agent, or why it may not use it */
  const factOwner = (agentId: string, scopeName: FactScope, writing: boolean): string | Fail => {
    const tenant = deps.agentTenant(agentId);
    if (scopeName === "agent") return agentId;
    if (scopeName === "tenant") return tenant ?? fail("LOS_E_FACT_FORBIDDEN", `agent "${agentId}" has no tenant, so it has no tenant facts`);
    if (scopeName === "site") {
      if (writing && tenant !== undefined) return fail("LOS_E_FACT_FORBIDDEN", `agent "${agentId}" belongs to tenant "${tenant}": only agents without a tenant and admins write site facts`);
      return deps.siteId;
    }
    return fail("LOS_E_FACT_INVALID", `scope must be agent, tenant or site, got ${String(scopeName)}`);
  };

  const leaseReply = (r: LeaseResult): CoordinationReply => (r.ok ? { ok: true, lease: r.lease } : { ...r });

  const handleNow = async (agentId: string, req: CoordinationRequest): Promise<CoordinationReply> => {
    switch (req.op) {
      case "lease.acquire": {
        const point = checkPoint(agentId, req.point);
        if (typeof point !== "string") return point;
        return leaseReply(leases.acquire(pointResource(point), agentId, req.ttlMs));
      }
      case "lease.reserve": {
        const point = checkPoint(agentId, req.point);
        if (typeof point !== "string") return point;
        // durations from the agent, times from the gateway's clock: an agent's clock may be seconds off
        const from = clock.now() + req.inMs;
        return leaseReply(leases.reserve(pointResource(point), agentId, from, from + req.forMs));
      }
      case "lease.release": {
        if (typeof req.point !== "string") return fail("LOS_E_LEASE_INVALID", "point must be <device>/<point>");
        return leases.release(pointResource(req.point), agentId)
          ? { ok: true }
          : fail("LOS_E_LEASE_NOT_HELD", `agent "${agentId}" holds no lease or reservation on ${req.point}`);
      }
      case "intent": {
        const point = checkPoint(agentId, req.point);
        if (typeof point !== "string") return point;
        const r = intents.announce(agentId, point, req.value, req.inMs, req.reason);
        return r.ok ? { ok: true } : { ...r };
      }
      case "fact.put": {
        const owner = factOwner(agentId, req.scope, true);
        if (typeof owner !== "string") return owner;
        const w = { scope: req.scope, owner, key: req.key, value: req.value, by: agentId };
        return { ok: true, fact: facts.put(req.ttlMs === undefined ? w : { ...w, ttlMs: req.ttlMs }) };
      }
      case "fact.get":
      case "fact.delete": {
        const owner = factOwner(agentId, req.scope, req.op === "fact.delete");
        if (typeof owner !== "string") return owner;
        const problem = factKeyProblem(req.key);
        if (problem) return fail("LOS_E_FACT_INVALID", problem);
        if (req.op === "fact.get") return { ok: true, fact: facts.get(req.scope, owner, req.key) ?? null };
        const existed: Fact | undefined = facts.get(req.scope, owner, req.key);
        facts.delete(req.scope, owner, req.key);
        return { ok: true, fact: existed ?? null };
      }
      case "task.create":
      case "task.progress":
      case "task.local":
        if (!deps.tasks) return fail("LOS_E_REQUEST_INVALID", `${req.op}: this gateway runs no task manager`);
        return deps.tasks(agentId, req);
      default:
        return fail("LOS_E_REQUEST_INVALID", `unknown coordination op ${JSON.stringify((req as { op?: unknown }).op)}`);
    }
  };

  return {
    leases,
    facts,
    intents,
    checkWrite: (actor, pointId) => leases.checkWrite(actor, pointId),
    async handle(agentId, request) {
      if (typeof request !== "object" || request === null) return fail("LOS_E_REQUEST_INVALID", "a coordination request is an object with an op");
      try {
        return await handleNow(agentId, request);
      } catch (err) {
        const e = toLosError(err, "LOS_E_INTERNAL");
        if (e.code === "LOS_E_INTERNAL") log.error({ err, op: request.op, agent: agentId }, "coordination request failed");
        return fail(e.code, e.message);
      }
    },
    close() {
      offLeaseChange();
      offFactChange();
      offExpired();
      leases.close();
      facts.close();
    },
  };
}
