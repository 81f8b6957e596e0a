/**
 * The small condition language of rule policies, parsed once and evaluated without eval:
 *   gh1/temperature > 28 and (gh1/door == false or not gh1/vent)
 * Operands are point ids, numbers, true/false; operators ==, !=, <, <=, >, >=, and, or, not.
 * A point without a good reading makes its comparison unknown, and unknown stays unknown through
 * `not` (`and` with false is false, `or` with true is true); a condition that ends unknown is false,
 * so rules never act on unknown data.
 */
import { LosError } from "./errors.js";
import type { Value } from "./types.js";

export type Condition = (value: (point: string) => Value | undefined) => boolean;

/** Three-valued (Kleene) logic inside the parser: undefined is "unknown", so `not` of unknown stays unknown. */
type Tri = boolean | undefined;
type Node = (value: (point: string) => Value | undefined) => Tri;

type Operand = { kind: "point"; id: string } | { kind: "const"; value: number | boolean };

const TOKEN = /\s*(\(|\)|==|!=|<=|>=|<|>|[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+|-?\d+(?:\.\d+)?|[A-Za-z]+)/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex + /^\s*/.exec(text.slice(TOKEN.lastIndex))![0].length;
    const m = TOKEN.exec(text);
    if (!m) throw new LosError("LOS_E_AGENT_CONFIG", `cannot read condition "${text}" at character ${at + 1}`);
    tokens.push(m[1]!);
  }
  return tokens;
}

const COMPARE = new Set(["==", "!=", "<", "<=", ">", ">="]);

export type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=";

/** The comparison shared by rule conditions and envelope interlocks. */
export function compareNumbers(a: number, op: CompareOp, b: number): boolean {
  switch (op) {
    case "==": return a === b;
    case "!=": return a !== b;
    case "<": return a < b;
    case "<=": return a <= b;
    case ">": return a > b;
    case ">=": return a >= b;
  }
}

export function parseCondition(text: string): { test: Condition; points: string[] } {
  const tokens = tokenize(text);
  const points = new Set<string>();
  let i = 0;
  const fail = (what: string): never => {
    throw new LosError("LOS_E_AGENT_CONFIG", `condition "${text}": ${what}`);
  };
  const peek = () => tokens[i];
  const next = () => tokens[i++] ?? fail("ends too early");

  const operand = (): Operand => {
    const t = next();
    if (t === "true" || t === "false") return { kind: "const", value: t === "true" };
    if (/^-?\d/.test(t)) return { kind: "const", value: Number(t) };
    if (t.includes("/")) {
      points.add(t);
      return { kind: "point", id: t };
    }
    return fail(`unexpected "${t}"`);
  };
  const resolve = (o: Operand, value: (p: string) => Value | undefined): number | undefined => {
    const v = o.kind === "const" ? o.value : value(o.id);
    return typeof v === "boolean" ? Number(v) : typeof v === "number" ? v : undefined;
  };
  const comparison = (): Node => {
    if (peek() === "(") {
      next();
      const inner = or();
      if (next() !== ")") fail("missing )");
      return inner;
    }
    if (peek() === "not") {
      next();
      const inner = comparison();
      return (v) => {
        const r = inner(v);
        return r === undefined ? undefined : !r;
      };
    }
    const left = operand();
    const op = peek();
    if (op === undefined || !COMPARE.has(op)) {
      return (v) => {
        const a = resolve(left, v);
        return a === undefined ? undefined : a !== 0;
      };
    }
    next();
    const right = operand();
    return (v) => {
      const a = resolve(left, v);
      const b = resolve(right, v);
      if (a === undefined || b === undefined) return undefined;
      return compareNumbers(a, op as CompareOp, b);
    };
  };
  const and = (): Node => {
    let left = comparison();
    while (peek() === "and") {
      next();
      const l = left;
      const r = comparison();
      left = (v) => {
        const a = l(v);
        if (a === false) return false;
        const b = r(v);
        return b === false ? false : a === undefined || b === undefined ? undefined : true;
      };
    }
    return left;
  };
  function or(): Node {
    let left = and();
    while (peek() === "or") {
      next();
      const l = left;
      const r = and();
      left = (v) => {
        const a = l(v);
        if (a === true) return true;
        const b = r(v);
        return b === true ? true : a === undefined || b === undefined ? undefined : false;
      };
    }
    return left;
  }
  const root = or();
  if (i < tokens.length) fail(`unexpected "${tokens[i]}"`);
  return { test: (v) => root(v) === true, points: [...points] };
}
