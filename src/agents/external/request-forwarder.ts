/**
 * An external agent's requests that the gateway answers on `in/replies` (`actuate`, `coordinate`):
 * forwarded to the supervisor's checked calls, with a cap on how many may wait at once so a flood
 * of requests cannot queue without bound, and the result turned into a reply envelope.
 */
import { errorEnvelope, LosError, okEnvelope, type Envelope, type ErrorCode } from "../../core/errors.js";
import type { AgentActuateRequest, AgentCoordinateRequest } from "../../core/topics.js";
import type { AgentCalls } from "../hosts/agent-host.js";

/** requests of one kind from one agent waiting for the gateway at once; more are refused */
export const MAX_REQUESTS_IN_FLIGHT = 16;

export class RequestForwarder {
  #calls: AgentCalls;
  #actuating = 0;
  #coordinating = 0;

  constructor(calls: AgentCalls) {
    this.#calls = calls;
  }

  async actuate(req: AgentActuateRequest): Promise<Envelope<unknown>> {
    const cid = req.correlationId;
    if (this.#actuating >= MAX_REQUESTS_IN_FLIGHT) return busy("actuation", cid);
    this.#actuating++;
    try {
      const r = await this.#calls.actuate(req.point, req.value, req.reason, req.idempotencyKey);
      if (!r.ok) return { ok: false, error: { code: r.code, message: r.message, details: { auditId: r.auditId, point: r.point } }, correlationId: cid };
      // a write replayed for its idempotency key says so: the driver was not touched again
      const replayed = "replayed" in r && r.replayed === true;
      const superseded = "superseded" in r ? r.superseded : undefined;
      return okEnvelope({ auditId: r.auditId, point: r.point, value: r.value, ...(replayed ? { replayed: true } : {}), ...(superseded ? { superseded } : {}) }, cid);
    } catch (err) {
      return errorEnvelope(err, cid);
    } finally {
      this.#actuating--;
    }
  }

  async coordinate(req: AgentCoordinateRequest): Promise<Envelope<unknown>> {
    const cid = req.correlationId;
    if (this.#coordinating >= MAX_REQUESTS_IN_FLIGHT) return busy("coordination", cid);
    this.#coordinating++;
    try {
      const r = await this.#calls.coordinate(req.request);
      if (r.ok) {
        const { ok: _ok, ...data } = r;
        return okEnvelope(data, cid);
      }
      const details: Record<string, unknown> = {};
      if (r.holder !== undefined) details.holder = r.holder;
      if (r.until !== undefined) details.until = r.until;
      return { ok: false, error: { code: r.code as ErrorCode, message: r.message, ...(Object.keys(details).length > 0 ? { details } : {}) }, correlationId: cid };
    } catch (err) {
      // coordinate never rejects by contract; a bug behind it must still reach the agent as a reply
      return errorEnvelope(err, cid);
    } finally {
      this.#coordinating--;
    }
  }
}

function busy(what: string, correlationId: string): Envelope<unknown> {
  return errorEnvelope(new LosError("LOS_E_AGENT_RATE_LIMITED", `more than ${MAX_REQUESTS_IN_FLIGHT} ${what} requests waiting; wait for replies`), correlationId);
}
