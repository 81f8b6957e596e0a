/**
 * A small JSON Schema draft-04 checker, enough for the OCI image-spec schemas (vendored under
 * test/fixtures/schemas/oci). It throws on any keyword it does not implement, so a schema it cannot
 * fully check is never passed silently. Refs: `#/…` within a file and `<file>#/…` to a sibling file.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

type Schema = Record<string, unknown>;
export interface SchemaError {
  path: string;
  message: string;
}

const ANNOTATIONS = new Set(["$schema", "id", "description", "title", "definitions", "media"]);
const CHECKED = new Set([
  "type", "properties", "patternProperties", "additionalProperties", "required", "items", "enum", "oneOf", "anyOf", "allOf", "$ref",
  "format", "minimum", "maximum", "minItems", "minLength", "pattern",
]);
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function typeOk(type: string, v: unknown): boolean {
  switch (type) {
    case "object": return typeof v === "object" && v !== null && !Array.isArray(v);
    case "array": return Array.isArray(v);
    case "string": return typeof v === "string";
    case "integer": return Number.isInteger(v);
    case "number": return typeof v === "number";
    case "boolean": return typeof v === "boolean";
    case "null": return v === null;
    default: throw new Error(`unknown type ${type}`);
  }
}

export class SchemaChecker {
  readonly #dir: string;
  readonly #files = new Map<string, Schema>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  #file(name: string): Schema {
    let s = this.#files.get(name);
    if (!s) this.#files.set(name, (s = JSON.parse(readFileSync(join(this.#dir, name), "utf8")) as Schema));
    return s;
  }

  #resolve(ref: string, file: string): { schema: Schema; file: string } {
    const [target = "", pointer = ""] = ref.split("#");
    const name = target === "" ? file : target;
    let node: unknown = this.#file(name);
    for (const part of pointer.split("/").filter(Boolean)) node = (node as Schema)[part];
    if (typeof node !== "object" || node === null) throw new Error(`unresolved $ref ${ref} in ${file}`);
    return { schema: node as Schema, file: name };
  }

  /** Errors of `value` against the schema file `name` (empty: valid). */
  check(name: string, value: unknown): SchemaError[] {
    const errors: SchemaError[] = [];
    this.#check(this.#file(name), name, value, "", errors);
    return errors;
  }

  #check(s: Schema, file: string, v: unknown, path: string, errors: SchemaError[]): void {
    const fail = (message: string): void => void errors.push({ path: path || "/", message });
    for (const key of Object.keys(s)) {
      if (!ANNOTATIONS.has(key) && !CHECKED.has(key)) throw new Error(`schema keyword ${key} (${file} at ${path}) is not implemented`);
    }
    if (typeof s.$ref === "string") {
      const r = this.#resolve(s.$ref, file);
      this.#check(r.schema, r.file, v, path, errors);
    }
    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
      if (!types.some((t) => typeOk(t, v))) return fail(`must be ${types.join(" or ")}`);
    }
    if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) fail(`must be one of ${JSON.stringify(s.enum)}`);
    const passes = (sub: Schema) => {
      const e: SchemaError[] = [];
      this.#check(sub, file, v, path, e);
      return e.length === 0;
    };
    if (Array.isArray(s.oneOf) && (s.oneOf as Schema[]).filter(passes).length !== 1) fail("must match exactly one schema in oneOf");
    if (Array.isArray(s.anyOf) && !(s.anyOf as Schema[]).some(passes)) fail("must match a schema in anyOf");
    if (Array.isArray(s.allOf)) for (const sub of s.allOf as Schema[]) this.#check(sub, file, v, path, errors);
    if (typeof v === "string") {
      if (s.format === "date-time" && !DATE_TIME.test(v)) fail("must be an RFC 3339 date-time");
      else if (s.format !== undefined && s.format !== "date-time") throw new Error(`format ${String(s.format)} is not implemented`);
      if (typeof s.minLength === "number" && v.length < s.minLength) fail(`must have at least ${s.minLength} characters`);
      if (typeof s.pattern === "string" && !new RegExp(s.pattern, "u").test(v)) fail(`must match ${s.pattern}`);
    }
    if (typeof v === "number") {
      if (typeof s.minimum === "number" && v < s.minimum) fail(`must be >= ${s.minimum}`);
      if (typeof s.maximum === "number" && v > s.maximum) fail(`must be <= ${s.maximum}`);
    }
    if (Array.isArray(v)) {
      if (typeof s.minItems === "number" && v.length < s.minItems) fail(`must have at least ${s.minItems} items`);
      if (s.items !== undefined) v.forEach((item, i) => this.#check(s.items as Schema, file, item, `${path}/${i}`, errors));
    }
    if (typeOk("object", v)) {
      const o = v as Record<string, unknown>;
      for (const key of (s.required as string[] | undefined) ?? []) if (!(key in o)) fail(`must have property ${key}`);
      const props = (s.properties ?? {}) as Record<string, Schema>;
      const patterns = Object.entries((s.patternProperties ?? {}) as Record<string, Schema>).map(([p, sub]) => [new RegExp(p, "u"), sub] as const);
      for (const [key, val] of Object.entries(o)) {
        const at = `${path}/${key}`;
        const own = props[key];
        if (own) this.#check(own, file, val, at, errors);
        const matching = patterns.filter(([re]) => re.test(key));
        for (const [, sub] of matching) this.#check(sub, file, val, at, errors);
        if (!own && matching.length === 0) {
          if (s.additionalProperties === false) errors.push({ path: at, message: "is not allowed" });
          else if (typeof s.additionalProperties === "object") this.#check(s.additionalProperties as Schema, file, val, at, errors);
        }
      }
    }
  }
}
