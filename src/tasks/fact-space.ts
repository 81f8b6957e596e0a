/**
 * The shared fact space (docs/coordination.md): small JSON values under a key in one of three scopes
 * (an agent's own, a tenant's, the site's), with an optional time-to-live on the gateway's clock.
 * Persisted so facts survive a restart; listeners (the bus publisher) hear every put, delete and
 * expiry. Who may write which scope is decided by the caller (src/tasks/coordination.ts).
 */
import type { Clock } from "../core/clock.js";
import { LosError } from "../core/errors.js";
import type { Fact, FactScope } from "../core/task-types.js";
import { isValidSegment } from "../core/topics.js";
import { silentLogger, type Logger } from "../core/types.js";
import type { FactSpace, FactWrite } from "./contracts.js";
import { DeadlineTimer } from "./coordination-timer.js";

export const FACT_MAX_BYTES = 16 * 1024;
/** a fact lives at most 30 days without being written again */
export const FACT_MAX_TTL_MS = 30 * 24 * 3_600_000;
const KEY = /^[A-Za-z0-9._/-]{1,128}$/;
const SCOPES: ReadonlySet<string> = new Set(["agent", "tenant", "site"]);

/** What the fact space needs from storage (src/store/facts-repo.ts). */
export interface FactStore {
  all(): Fact[];
  upsert(fact: Fact): void;
  delete(ids: readonly Pick<Fact, "scope" | "owner" | "key">[]): void;
}

export interface FactSpaceOptions {
  store: FactStore;
  clock: Clock;
  logger?: Logger;
}

/** Why a key is refused, or undefined when it is fine (also used for get/delete requests). */
export function factKeyProblem(key: unknown): string | undefined {
  if (typeof key !== "string" || !KEY.test(key)) return "key must be 1 to 128 of A-Z a-z 0-9 . _ - /";
  if (key.includes("..")) return 'key must not contain ".."';
  if (key.startsWith("/") || key.endsWith("/") || key.includes("//")) return "key must not have empty / segments";
  return undefined;
}

function invalid(message: string, details: Record<string, unknown>): LosError {
  return new LosError("LOS_E_FACT_INVALID", message, { details });
}

function idOf(scope: FactScope, owner: string, key: string): string {
  return `${scope}\u0000${owner}\u0000${key}`;
}

export class Facts implements FactSpace {
  #store: FactStore;
  #clock: Clock;
  #log: Logger;
  #facts = new Map<string, Fact>();
  #listeners = new Set<(fact: Fact, gone: boolean) => void>();
  #timer: DeadlineTimer;

  constructor(opts: FactSpaceOptions) {
    this.#store = opts.store;
    this.#clock = opts.clock;
    this.#log = (opts.logger ?? silentLogger).child({ component: "facts" });
    this.#timer = new DeadlineTimer(this.#clock, () => this.#expire());
    for (const f of this.#store.all()) this.#facts.set(idOf(f.scope, f.owner, f.key), f);
    // facts that expired while the gateway was down go at the first tick, after listeners attach
    this.#schedule();
  }

  put(w: FactWrite): Fact {
    if (!SCOPES.has(w.scope)) throw invalid(`scope must be agent, tenant or site, got ${String(w.scope)}`, { scope: w.scope });
    if (typeof w.owner !== "string" || !isValidSegment(w.owner)) throw invalid("owner must be an agent, tenant or site id", { owner: w.owner });
    const keyProblem = factKeyProblem(w.key);
    if (keyProblem) throw invalid(keyProblem, { key: w.key });
    let json: string | undefined;
    try {
      json = JSON.stringify(w.value);
    } catch (err) {
      throw new LosError("LOS_E_FACT_INVALID", `value is not JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err, details: { key: w.key } });
    }
    if (json === undefined) throw invalid("value must be JSON (not undefined or a function)", { key: w.key });
    const bytes = Buffer.byteLength(json, "utf8");
    if (bytes > FACT_MAX_BYTES) throw invalid(`value is ${bytes} bytes as JSON; at most ${FACT_MAX_BYTES}`, { key: w.key, bytes });
    if (w.ttlMs !== undefined && (typeof w.ttlMs !== "number" || !Number.isFinite(w.ttlMs) || w.ttlMs <= 0 || w.ttlMs > FACT_MAX_TTL_MS)) {
      throw invalid(`ttlMs must be a positive number of ms up to ${FACT_MAX_TTL_MS}`, { key: w.key, ttlMs: w.ttlMs });
    }
    const now = this.#clock.now();
    // stored as it travels: what JSON keeps (a Date becomes its text, undefined members vanish)
    const fact: Fact = { scope: w.scope, owner: w.owner, key: w.key, value: JSON.parse(json) as unknown, ts: now, by: w.by };
    if (w.ttlMs !== undefined) fact.expiresAt = now + Math.ceil(w.ttlMs);
    this.#store.upsert(fact);
    this.#facts.set(idOf(fact.scope, fact.owner, fact.key), fact);
    this.#schedule();
    this.#emit(fact, false);
    return { ...fact };
  }

  get(scope: FactScope, owner: string, key: string): Fact | undefined {
    const f = this.#facts.get(idOf(scope, owner, key));
    if (!f || (f.expiresAt !== undefined && f.expiresAt <= this.#clock.now())) return undefined;
    return { ...f };
  }

  delete(scope: FactScope, owner: string, key: string): boolean {
    const f = this.#facts.get(idOf(scope, owner, key));
    if (!f) return false;
    this.#store.delete([f]);
    this.#facts.delete(idOf(scope, owner, key));
    this.#schedule();
    this.#emit(f, true);
    return true;
  }

  list(filter: { scope?: FactScope; owner?: string; prefix?: string } = {}): Fact[] {
    const now = this.#clock.now();
    return [...this.#facts.values()]
      .filter(
        (f) =>
          (filter.scope === undefined || f.scope === filter.scope) &&
          (filter.owner === undefined || f.owner === filter.owner) &&
          (filter.prefix === undefined || f.key.startsWith(filter.prefix)) &&
          (f.expiresAt === undefined || f.expiresAt > now),
      )
      .map((f) => ({ ...f }));
  }

  onChange(listener: (fact: Fact, gone: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#timer.close();
  }

  #emit(fact: Fact, gone: boolean): void {
    for (const l of this.#listeners) {
      try {
        l({ ...fact }, gone);
      } catch (err) {
        this.#log.error({ err, key: fact.key }, "fact listener failed");
      }
    }
  }

  #schedule(): void {
    let next = Infinity;
    for (const f of this.#facts.values()) if (f.expiresAt !== undefined && f.expiresAt < next) next = f.expiresAt;
    this.#timer.at(next);
  }

  #expire(): void {
    const now = this.#clock.now();
    const gone = [...this.#facts.values()].filter((f) => f.expiresAt !== undefined && f.expiresAt <= now);
    if (gone.length > 0) {
      this.#store.delete(gone);
      for (const f of gone) this.#facts.delete(idOf(f.scope, f.owner, f.key));
    }
    this.#schedule();
    for (const f of gone) this.#emit(f, true);
  }
}
