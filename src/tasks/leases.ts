/**
 * The lease table (docs/coordination.md): exclusive, time-bounded holds on actuators
 * (`point:<device>/<point>`) and tasks (`task:<id>`). A lease starts now and is renewed by its
 * holder's heartbeat; a reservation holds a future window [from, until) and is not renewed. Two
 * holders never overlap on one resource. Every grant gets a higher token (fencing). Times are the
 * gateway's clock; one timer waits for the next end or start, whatever the number of leases.
 */
import type { Clock } from "../core/clock.js";
import type { PointMatcher } from "../core/point-pattern.js";
import type { LeaseRecord, LeaseResult } from "../core/task-types.js";
import { silentLogger, type Actor, type Logger } from "../core/types.js";
import type { LeaseService } from "./contracts.js";
import { DeadlineTimer } from "./coordination-timer.js";

export const LEASE_MIN_MS = 100;
export const LEASE_MAX_MS = 3_600_000;
/** a reservation window lasts at most a day and starts within a week */
export const RESERVATION_MAX_MS = 24 * 3_600_000;
export const RESERVATION_AHEAD_MAX_MS = 7 * 24 * 3_600_000;

/** What the lease table needs from storage (src/store/leases-repo.ts). */
export interface LeaseStore {
  active(): LeaseRecord[];
  maxTokens(): Map<string, number>;
  insert(rec: LeaseRecord): void;
  extend(recs: readonly LeaseRecord[]): void;
  end(recs: readonly LeaseRecord[], at: number): void;
}

export interface LeasesOptions {
  store: LeaseStore;
  clock: Clock;
  logger?: Logger;
  /** points that may be written only under a lease (coordination.requireLease) */
  requireLease?: PointMatcher;
}

export type LeaseConflict = { ok: false; code: "LOS_E_LEASE_CONFLICT"; message: string; holder: string; until: number };

export function pointResource(pointId: string): string {
  return `point:${pointId}`;
}

export function taskResource(taskId: string): string {
  return `task:${taskId}`;
}

export class Leases implements LeaseService {
  #store: LeaseStore;
  #clock: Clock;
  #log: Logger;
  #requireLease: PointMatcher;
  #byResource = new Map<string, LeaseRecord[]>();
  #tokens: Map<string, number>;
  #expired = new Set<(lease: LeaseRecord) => void>();
  #changed = new Set<(resource: string) => void>();
  #timer: DeadlineTimer;
  /** reservations that started after this were not yet announced as in force */
  #lastTick = -Infinity;

  constructor(opts: LeasesOptions) {
    this.#store = opts.store;
    this.#clock = opts.clock;
    this.#log = (opts.logger ?? silentLogger).child({ component: "leases" });
    this.#requireLease = opts.requireLease ?? (() => false);
    this.#timer = new DeadlineTimer(this.#clock, () => this.#tick());
    this.#tokens = this.#store.maxTokens();
    for (const rec of this.#store.active()) this.#add(rec);
    // leases that ran out while the gateway was down end at the first tick, after listeners attach
    this.#schedule();
  }

  acquire(resource: string, holder: string, ttlMs: number): LeaseResult {
    if (!Number.isFinite(ttlMs) || ttlMs < LEASE_MIN_MS || ttlMs > LEASE_MAX_MS) {
      return invalid(`ttlMs must be ${LEASE_MIN_MS} to ${LEASE_MAX_MS} ms, got ${String(ttlMs)}`);
    }
    const now = this.#clock.now();
    const until = now + Math.round(ttlMs);
    const other = this.#overlap(resource, holder, now, until);
    if (other) return conflict(resource, other);
    const own = this.#current(resource, now)?.filter((r) => r.holder === holder && r.kind === "lease")[0];
    if (own) {
      const renewed: LeaseRecord = { ...own, until: Math.max(own.until, until), ttlMs: Math.round(ttlMs) };
      this.#store.extend([renewed]);
      this.#replace(own, renewed);
      this.#schedule();
      this.#notify(resource);
      return { ok: true, lease: { ...renewed } };
    }
    return this.#grant({ resource, holder, kind: "lease", token: 0, from: now, until, ttlMs: Math.round(ttlMs) });
  }

  reserve(resource: string, holder: string, from: number, until: number): LeaseResult {
    const now = this.#clock.now();
    if (!Number.isFinite(from) || !Number.isFinite(until) || from < now || until <= from) {
      return invalid("a reservation needs from ≥ now and until > from (gateway clock, ms since the epoch)");
    }
    if (until - from > RESERVATION_MAX_MS || from - now > RESERVATION_AHEAD_MAX_MS) {
      return invalid("a reservation lasts at most 24 h and starts within 7 days");
    }
    const other = this.#overlap(resource, holder, from, until);
    if (other) return conflict(resource, other);
    return this.#grant({ resource, holder, kind: "reservation", token: 0, from: Math.round(from), until: Math.round(until) });
  }

  renew(holder: string): void {
    const now = this.#clock.now();
    const renewed: [LeaseRecord, LeaseRecord][] = [];
    for (const recs of this.#byResource.values()) {
      for (const r of recs) {
        if (r.holder !== holder || r.kind !== "lease" || r.until <= now || r.ttlMs === undefined) continue;
        // never into another holder's reservation: the lease ends where that window starts
        const cap = this.#nextOtherStart(r.resource, holder, now);
        const until = Math.min(now + r.ttlMs, cap);
        if (until > r.until) renewed.push([r, { ...r, until }]);
      }
    }
    if (renewed.length === 0) return;
    this.#store.extend(renewed.map(([, n]) => n));
    for (const [old, next] of renewed) this.#replace(old, next);
    this.#schedule();
  }

  release(resource: string, holder: string): boolean {
    const mine = (this.#byResource.get(resource) ?? []).filter((r) => r.holder === holder);
    if (mine.length === 0) return false;
    this.#end(mine);
    return true;
  }

  releaseAll(holder: string): LeaseRecord[] {
    const mine = [...this.#byResource.values()].flat().filter((r) => r.holder === holder);
    this.#end(mine);
    return mine.map((r) => ({ ...r }));
  }

  holderOf(resource: string, at = this.#clock.now()): LeaseRecord | undefined {
    const found = this.#current(resource, at);
    const rec = found?.find((r) => r.kind === "lease") ?? found?.[0];
    return rec && { ...rec };
  }

  /** Every grant `holder` has now or later. */
  heldBy(holder: string): LeaseRecord[] {
    return [...this.#byResource.values()].flat().filter((r) => r.holder === holder).map((r) => ({ ...r }));
  }

  /** The other holder's grant overlapping [from, until), if any. */
  conflictIn(resource: string, holder: string, from: number, until: number): LeaseRecord | undefined {
    const rec = this.#overlap(resource, holder, from, until);
    return rec && { ...rec };
  }

  checkWrite(actor: Actor, pointId: string): { ok: true } | LeaseConflict {
    const now = this.#clock.now();
    const rec = this.holderOf(pointResource(pointId), now);
    const mine = (r: LeaseRecord) => actor.kind === "agent" && r.holder === actor.id;
    if (rec) {
      if (mine(rec)) return { ok: true };
      const what = rec.kind === "lease" ? "holds a lease on" : "has reserved";
      return { ok: false, code: "LOS_E_LEASE_CONFLICT", message: `agent "${rec.holder}" ${what} ${pointId} until ${new Date(rec.until).toISOString()}`, holder: rec.holder, until: rec.until };
    }
    if (this.#requireLease(pointId)) {
      return { ok: false, code: "LOS_E_LEASE_CONFLICT", message: `no lease held: ${pointId} may be written only under a lease (coordination.requireLease)`, holder: "", until: now };
    }
    return { ok: true };
  }

  onExpired(listener: (lease: LeaseRecord) => void): () => void {
    this.#expired.add(listener);
    return () => this.#expired.delete(listener);
  }

  /** Called whenever what is in force on `resource` may have changed (grant, end, window start). */
  onChange(listener: (resource: string) => void): () => void {
    this.#changed.add(listener);
    return () => this.#changed.delete(listener);
  }

  list(): LeaseRecord[] {
    return [...this.#byResource.values()].flat().map((r) => ({ ...r }));
  }

  close(): void {
    this.#timer.close();
  }

  #grant(rec: LeaseRecord): LeaseResult {
    rec.token = (this.#tokens.get(rec.resource) ?? 0) + 1;
    this.#store.insert(rec);
    this.#tokens.set(rec.resource, rec.token);
    this.#add(rec);
    this.#schedule();
    this.#notify(rec.resource);
    return { ok: true, lease: { ...rec } };
  }

  #end(recs: LeaseRecord[]): void {
    if (recs.length === 0) return;
    this.#store.end(recs, this.#clock.now());
    for (const r of recs) this.#remove(r);
    this.#schedule();
    for (const resource of new Set(recs.map((r) => r.resource))) this.#notify(resource);
  }

  #current(resource: string, at: number): LeaseRecord[] | undefined {
    const found = this.#byResource.get(resource)?.filter((r) => r.from <= at && at < r.until);
    return found && found.length > 0 ? found : undefined;
  }

  #overlap(resource: string, holder: string, from: number, until: number): LeaseRecord | undefined {
    return this.#byResource.get(resource)?.find((r) => r.holder !== holder && r.from < until && from < r.until);
  }

  #nextOtherStart(resource: string, holder: string, now: number): number {
    let next = Infinity;
    for (const r of this.#byResource.get(resource) ?? []) if (r.holder !== holder && r.from >= now) next = Math.min(next, r.from);
    return next;
  }

  #add(rec: LeaseRecord): void {
    const list = this.#byResource.get(rec.resource);
    if (list) list.push(rec);
    else this.#byResource.set(rec.resource, [rec]);
  }

  #remove(rec: LeaseRecord): void {
    const list = this.#byResource.get(rec.resource)?.filter((r) => r.token !== rec.token);
    if (list && list.length > 0) this.#byResource.set(rec.resource, list);
    else this.#byResource.delete(rec.resource);
  }

  #replace(old: LeaseRecord, next: LeaseRecord): void {
    const list = this.#byResource.get(old.resource);
    if (list) this.#byResource.set(old.resource, list.map((r) => (r.token === old.token ? next : r)));
  }

  #notify(resource: string): void {
    for (const l of this.#changed) {
      try {
        l(resource);
      } catch (err) {
        this.#log.error({ err, resource }, "lease change listener failed");
      }
    }
  }

  /** One timer for the earliest end of anything, or start of a future reservation. */
  #schedule(): void {
    const now = this.#clock.now();
    let next = Infinity;
    for (const recs of this.#byResource.values()) {
      for (const r of recs) {
        next = Math.min(next, r.until);
        if (r.from > now) next = Math.min(next, r.from);
      }
    }
    this.#timer.at(next);
  }

  #tick(): void {
    const now = this.#clock.now();
    const all = [...this.#byResource.values()].flat();
    const ended = all.filter((r) => r.until <= now);
    const started = all.filter((r) => r.kind === "reservation" && r.from > this.#lastTick && r.from <= now && r.until > now);
    this.#lastTick = now;
    if (ended.length > 0) {
      this.#store.end(ended, now);
      for (const r of ended) this.#remove(r);
    }
    this.#schedule();
    for (const resource of new Set([...ended, ...started].map((r) => r.resource))) this.#notify(resource);
    for (const lease of ended.filter((r) => r.kind === "lease")) {
      this.#log.info({ resource: lease.resource, holder: lease.holder, token: lease.token }, "lease expired");
      for (const l of this.#expired) {
        try {
          l({ ...lease });
        } catch (err) {
          this.#log.error({ err, resource: lease.resource }, "lease expiry listener failed");
        }
      }
    }
  }
}

function invalid(message: string): LeaseResult {
  return { ok: false, code: "LOS_E_LEASE_INVALID", message };
}

function conflict(resource: string, other: LeaseRecord): LeaseResult {
  const what = other.kind === "lease" ? "holds" : "has reserved";
  return {
    ok: false,
    code: "LOS_E_LEASE_CONFLICT",
    message: `agent "${other.holder}" ${what} ${resource} from ${new Date(other.from).toISOString()} until ${new Date(other.until).toISOString()}`,
    holder: other.holder,
    until: other.until,
  };
}
