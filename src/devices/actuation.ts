/**
 * The one path every actuator write takes, whoever asks (agent code, rules, an LLM later, an MQTT
 * client, the CLI): capability → lease → envelope → driver → audit. Every attempt is audited,
 * accepted or not, and the caller gets a coded outcome instead of an exception. Writes to one point
 * (and writes with one idempotency key) are serialised so the rate limit always sees the previous
 * write and a retried keyed write finds the first one (src/devices/idempotency.ts).
 */
import type { Clock } from "../core/clock.js";
import { toLosError, type ErrorCode } from "../core/errors.js";
import type { LiveValues } from "../core/live-values.js";
import { splitPointId, type Actor, type Logger, type Value } from "../core/types.js";
import type { PointDef } from "../config/profile-schema.js";
import type { AuditEntry } from "../store/audit-repo.js";
import { checkEnvelope } from "./envelope.js";
import { checkReplay, IDEMPOTENCY_KEY_MAX, type AcceptedWrite } from "./idempotency.js";

export type ActuationResult =
  /** replayed: an accepted write with the same idempotency key was found; the driver was not touched */
  | { ok: true; auditId: number; point: string; value: Value; replayed?: true; superseded?: { auditId: number; value: Value } }
  | { ok: false; auditId: number; point: string; code: ErrorCode; message: string };

export type { AuditEntry };

export interface ActuationDeps {
  clock: Clock;
  live: LiveValues;
  logger: Logger;
  devices: {
    point(deviceId: string, name: string): PointDef | undefined;
    write(deviceId: string, name: string, value: Value): Promise<void>;
  };
  audit: {
    record(entry: AuditEntry): { id: number };
    /** the accepted write made with this idempotency key (AuditRepo.acceptedByKey) */
    acceptedByKey?(key: string): AcceptedWrite | undefined;
    /** the newest accepted write to the point after an audit id (AuditRepo.latestAcceptedAfter) */
    latestAcceptedAfter?(point: string, afterId: number): AcceptedWrite | undefined;
  };
  /** is this actor allowed to write this point? */
  canWrite(actor: Actor, pointId: string): boolean;
  /** does a lease (or coordination.requireLease) stop this actor writing this point now? */
  checkLease?(actor: Actor, pointId: string): { ok: true } | { ok: false; code: ErrorCode; message: string };
  /** called after each audited attempt (the gateway publishes it on the bus) */
  onAudit?(entry: AuditEntry & { id: number }): void;
}

export interface ActuateRequest {
  actor: Actor;
  point: string;
  value: Value;
  reason: string;
  /** a safe-value write: skips leases, rate and interlocks, never the capability or the range */
  safety?: boolean;
  /** a write inside a task: an accepted write with this key is replayed, not repeated */
  idempotencyKey?: string;
}

export class ActuationService {
  #deps: ActuationDeps;
  #lastWrites = new Map<string, { value: Value; ts: number }>();
  #tails = new Map<string, Promise<unknown>>();

  constructor(deps: ActuationDeps) {
    this.#deps = deps;
  }

  actuate(req: ActuateRequest): Promise<ActuationResult> {
    // a keyed write also waits for earlier writes with its key, whatever their point
    const lanes = req.idempotencyKey === undefined ? [req.point] : [req.point, `\u0000key:${String(req.idempotencyKey)}`];
    const previous = Promise.all(lanes.map((l) => this.#tails.get(l)));
    const next = previous.then(() => this.#actuateNow(req));
    // the tail never rejects: a failure of one write must neither go unhandled nor refuse the next
    const tail = next.then(noop, noop).finally(() => {
      for (const l of lanes) if (this.#tails.get(l) === tail) this.#tails.delete(l);
    });
    for (const l of lanes) this.#tails.set(l, tail);
    return next;
  }

  /** Drive every given point that declares a safe value to it; returns the outcomes. */
  async driveToSafe(points: { deviceId: string; point: PointDef }[], reason: string): Promise<ActuationResult[]> {
    const writes = points
      .filter(({ point }) => point.writable && point.envelope?.safeValue !== undefined)
      .map(({ deviceId, point }) =>
        this.actuate({
          actor: { kind: "system", id: "safety" },
          point: `${deviceId}/${point.name}`,
          value: point.envelope!.safeValue!,
          reason,
          safety: true,
        }),
      );
    return Promise.all(writes);
  }

  async #actuateNow(req: ActuateRequest): Promise<ActuationResult> {
    const { clock, devices, live } = this.#deps;
    const now = clock.now();
    const previous = this.#lastWrites.get(req.point)?.value ?? live.get(req.point)?.value ?? undefined;
    const refuse = (code: ErrorCode, message: string, outcome: "refused" | "failed" = "refused") =>
      this.#audit(req, now, previous, { outcome, code, message });

    const ids = splitPointId(req.point);
    const point = ids && devices.point(ids.device, ids.point);
    if (!ids || !point) return refuse("LOS_E_POINT_UNKNOWN", `no point "${req.point}" on this gateway`);
    if (!this.#deps.canWrite(req.actor, req.point)) {
      return refuse("LOS_E_WRITE_NOT_PERMITTED", `${req.actor.kind} "${req.actor.id}" may not write ${req.point}`);
    }
    if (req.idempotencyKey !== undefined) {
      const audit = this.#deps.audit;
      const replay = checkReplay(audit.acceptedByKey?.bind(audit), req.idempotencyKey, req.point, audit.latestAcceptedAfter?.bind(audit));
      if (replay.kind === "invalid") return refuse("LOS_E_REQUEST_INVALID", replay.message);
      if (replay.kind === "replay") {
        const done = { ok: true as const, auditId: replay.auditId, point: replay.point, value: replay.value, replayed: true as const };
        return replay.superseded ? { ...done, superseded: { auditId: replay.superseded.id, value: replay.superseded.value } } : done;
      }
    }
    if (!req.safety && this.#deps.checkLease) {
      const lease = this.#deps.checkLease(req.actor, req.point);
      if (!lease.ok) return refuse(lease.code, lease.message);
    }
    const lastWrite = this.#lastWrites.get(req.point);
    const verdict = checkEnvelope({
      deviceId: ids.device,
      point,
      value: req.value,
      now,
      ...(lastWrite ? { lastWrite } : {}),
      read: (id) => live.get(id),
      safety: req.safety ?? false,
    });
    if (!verdict.ok) return refuse(verdict.code, verdict.message);
    try {
      await devices.write(ids.device, ids.point, req.value);
    } catch (err) {
      const e = toLosError(err, "LOS_E_WRITE_FAILED");
      return refuse(e.code === "LOS_E_INTERNAL" ? "LOS_E_WRITE_FAILED" : e.code, e.message, "failed");
    }
    this.#lastWrites.set(req.point, { value: req.value, ts: clock.now() });
    return this.#audit(req, now, previous, { outcome: "accepted" });
  }

  #audit(
    req: ActuateRequest,
    ts: number,
    previous: Value | null | undefined,
    result: { outcome: AuditEntry["outcome"]; code?: ErrorCode; message?: string },
  ): ActuationResult {
    const value = isAuditable(req.value) ? req.value : describeValue(req.value);
    const entry: AuditEntry = { ts, actor: req.actor, point: req.point, value, reason: req.reason, ...result };
    // only a valid key is stored (a refused malformed one stays out of the unique index's way)
    if (isKey(req.idempotencyKey) && result.code !== "LOS_E_REQUEST_INVALID") entry.idemKey = req.idempotencyKey;
    if (previous !== undefined && previous !== null && isAuditable(previous)) entry.previous = previous;
    const { id } = this.#deps.audit.record(entry);
    this.#deps.onAudit?.({ ...entry, id });
    if (result.outcome !== "accepted") {
      this.#deps.logger.warn({ point: req.point, actor: req.actor.id, code: result.code }, result.message ?? "write refused");
      return { ok: false, auditId: id, point: req.point, code: result.code!, message: result.message ?? "" };
    }
    return { ok: true, auditId: id, point: req.point, value: req.value };
  }
}

const noop = (): void => {};

const isKey = (k: unknown): k is string => typeof k === "string" && k !== "" && k.length <= IDEMPOTENCY_KEY_MAX;

/** What the audit table can hold: finite numbers, booleans, strings. */
function isAuditable(v: unknown): v is Value {
  return (typeof v === "number" && Number.isFinite(v)) || typeof v === "boolean" || typeof v === "string";
}

/** A refused NaN, Infinity or non-value (from untyped callers) is audited as its text. */
function describeValue(v: unknown): string {
  return typeof v === "number" ? String(v) : (JSON.stringify(v) ?? String(v));
}
