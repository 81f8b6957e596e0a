/**
 * The bookkeeping every simulator's fault injector shares: a list of rules, newest first when
 * matched, each with an id, a count of times it fired and an optional limit after which it expires.
 * What a rule does to a request or message stays with each protocol's injector.
 */

export interface FaultRuleHandle {
  readonly id: number;
  /** Times this rule has fired so far. */
  readonly applied: number;
  /** Times left (undefined: no limit; 0: expired). */
  readonly remaining: number | undefined;
  remove(): void;
}

export interface FaultRuleState {
  readonly id: number;
  readonly applied: number;
  readonly remaining: number | undefined;
}

interface Rule<S> {
  id: number;
  spec: S;
  applied: number;
  remaining: number | undefined;
}

export class FaultRules<S extends { count?: number }> {
  #rules: Rule<S>[] = [];
  #nextId = 1;

  /** Add a rule (already validated); it expires after `spec.count` firings when given. */
  add(spec: S): FaultRuleHandle {
    const rule: Rule<S> = { id: this.#nextId++, spec, applied: 0, remaining: spec.count };
    this.#rules.push(rule);
    return {
      id: rule.id,
      get applied() {
        return rule.applied;
      },
      get remaining() {
        return rule.remaining;
      },
      remove: () => {
        this.#rules = this.#rules.filter((r) => r !== rule);
      },
    };
  }

  /** Remove every rule, or those whose spec `matches`. */
  clear(matches?: (spec: S) => boolean): void {
    this.#rules = matches ? this.#rules.filter((r) => !matches(r.spec)) : [];
  }

  /** The active rules, oldest first. */
  list(): (S & FaultRuleState)[] {
    return this.#rules.map((r) => ({ ...r.spec, id: r.id, applied: r.applied, remaining: r.remaining }));
  }

  /** The newest rule whose spec `matches`, without firing it. */
  newest(matches: (spec: S) => boolean): S | undefined {
    for (let i = this.#rules.length - 1; i >= 0; i--) if (matches(this.#rules[i]!.spec)) return this.#rules[i]!.spec;
    return undefined;
  }

  /** Fire the newest rule whose spec `matches`: count it, expire it when its count is used up. */
  fire(matches: (spec: S) => boolean): S | undefined {
    for (let i = this.#rules.length - 1; i >= 0; i--) {
      const rule = this.#rules[i]!;
      if (!matches(rule.spec)) continue;
      rule.applied++;
      if (rule.remaining !== undefined && --rule.remaining <= 0) this.#rules.splice(i, 1);
      return rule.spec;
    }
    return undefined;
  }
}
