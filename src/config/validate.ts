/**
 * Schema validation that explains itself: each problem names the path and what was expected. Unions
 * tagged by `type` or `kind` are checked against the variant the value names, so a bad port in a
 * Modbus TCP connection says "port: expected integer ≤ 65535", not "expected union value".
 */
import type { TSchema } from "@sinclair/typebox";
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";

export interface SchemaProblem {
  /** JSON pointer segments, e.g. ["devices", 0, "connection", "port"] */
  path: (string | number)[];
  message: string;
}

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

function checker(schema: TSchema): TypeCheck<TSchema> {
  let c = compiled.get(schema);
  if (!c) {
    c = TypeCompiler.Compile(schema);
    compiled.set(schema, c);
  }
  return c;
}

const TAGS = ["type", "kind", "protocol"] as const;

function tagOf(variant: TSchema): { key: string; value: unknown } | undefined {
  const props = (variant as { properties?: Record<string, TSchema> }).properties;
  if (!props) return undefined;
  for (const key of TAGS) {
    const p = props[key] as { const?: unknown } | undefined;
    if (p && p.const !== undefined) return { key, value: p.const };
  }
  return undefined;
}

function parsePointer(pointer: string): (string | number)[] {
  if (pointer === "") return [];
  return pointer
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function getAt(value: unknown, path: (string | number)[]): unknown {
  let v: unknown = value;
  for (const seg of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

/** Explain why `value` does not match a tagged union, or undefined if the union is not tagged. */
function explainUnion(schema: TSchema, value: unknown, base: (string | number)[]): SchemaProblem[] | undefined {
  const variants = (schema as { anyOf?: TSchema[] }).anyOf;
  if (!variants || value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const tags = variants.map(tagOf);
  if (tags.some((t) => t === undefined)) return undefined;
  const key = tags[0]!.key;
  const given = (value as Record<string, unknown>)[key];
  const index = tags.findIndex((t) => t!.value === given);
  if (index < 0) {
    const allowed = tags.map((t) => JSON.stringify(t!.value)).join(", ");
    return [{ path: [...base, key], message: `expected one of ${allowed}, got ${JSON.stringify(given)}` }];
  }
  return validateAgainst(variants[index]!, value, base);
}

function describe(message: string, value: unknown, schema: TSchema): string {
  if (message.startsWith("Unexpected property")) return "unknown key (not in the schema)";
  if (message.startsWith("Expected required property")) return "is required";
  const desc = (schema as { description?: string }).description;
  const got = value === undefined ? "nothing" : JSON.stringify(value);
  return `${message.replace(/^Expected/, "expected")}, got ${got}${desc ? ` (${desc})` : ""}`;
}

function validateAgainst(schema: TSchema, value: unknown, base: (string | number)[]): SchemaProblem[] {
  const c = checker(schema);
  if (c.Check(value)) return [];
  const problems: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const err of c.Errors(value)) {
    const rel = parsePointer(err.path);
    const key = rel.join("/");
    if (seen.has(key)) continue;
    seen.add(key);
    if ((err.schema as { anyOf?: unknown }).anyOf) {
      const deeper = explainUnion(err.schema, getAt(value, rel), [...base, ...rel]);
      if (deeper) {
        problems.push(...deeper);
        continue;
      }
    }
    problems.push({ path: [...base, ...rel], message: describe(err.message, err.value, err.schema) });
    if (problems.length >= 20) break;
  }
  return problems;
}

export function validateSchema(schema: TSchema, value: unknown): SchemaProblem[] {
  return validateAgainst(schema, value, []);
}

/** `devices[0].connection.port` */
export function formatPath(path: (string | number)[]): string {
  if (path.length === 0) return "(root)";
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}
