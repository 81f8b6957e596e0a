/**
 * The coordination helpers of an agent's context, each a thin request over one `coordinate`
 * function (the runtime's link to AgentCalls.coordinate). They never throw: a failure of the link
 * itself becomes a coded reply like any refusal.
 */
import { toLosError } from "../core/errors.js";
import type { CoordinationReply, CoordinationRequest } from "../core/task-types.js";
import type { CoordinationHelpers } from "./context.js";

export type Coordinate = (request: CoordinationRequest) => Promise<CoordinationReply>;

/** what an agent gets where there is no task layer (standalone `run()`) */
export const NO_COORDINATION: Coordinate = async () => ({
  ok: false,
  code: "LOS_E_REQUEST_INVALID",
  message: "leases, facts and tasks need a gateway: add the agent to one (run({ gateway }) or the config)",
});

/** a request that never rejects */
export function safeCoordinate(coordinate: Coordinate): Coordinate {
  return async (request) => {
    try {
      return await coordinate(request);
    } catch (err) {
      const e = toLosError(err, "LOS_E_REQUEST_INVALID");
      return { ok: false, code: e.code, message: e.message };
    }
  };
}

export function coordinationHelpers(coordinate: Coordinate): CoordinationHelpers {
  const c = safeCoordinate(coordinate);
  return {
    lease: (point, ttlMs) => c({ op: "lease.acquire", point, ttlMs }),
    reserve: (point, inMs, forMs) => c({ op: "lease.reserve", point, inMs, forMs }),
    release: (point) => c({ op: "lease.release", point }),
    announceIntent: (point, value, inMs, reason) => c({ op: "intent", point, value, inMs, reason }),
    facts: {
      put: (key, value, options = {}) => {
        const request: CoordinationRequest = { op: "fact.put", key, value, scope: options.scope ?? "agent" };
        if (options.ttlMs !== undefined) request.ttlMs = options.ttlMs;
        return c(request);
      },
      get: (key, scope = "agent") => c({ op: "fact.get", key, scope }),
      delete: (key, scope = "agent") => c({ op: "fact.delete", key, scope }),
    },
    createTask: (spec) => c({ op: "task.create", spec }),
  };
}
