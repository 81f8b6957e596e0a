/**
 * The text record formats of `lines` framing: CSV columns, JSON documents with dotted paths, and
 * regular-expression captures by number or name. Pure, no I/O.
 */

/** Split a CSV line; double-quoted columns may hold the delimiter ("" is a quote). */
export function splitCsv(line: string, delimiter = ","): string[] {
  if (!line.includes('"')) return line.split(delimiter);
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === delimiter) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Parse a JSON line; undefined when it is not a JSON object or array. */
export function parseJsonLine(line: string): unknown {
  const text = line.trim();
  if (!text.startsWith("{") && !text.startsWith("[")) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The value at a dotted path (`env.t`, `values.0`); undefined when absent. */
export function jsonPath(doc: unknown, path: readonly string[]): unknown {
  let cur: unknown = doc;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

export interface RegexLocator {
  re: RegExp;
  /** capture group number or name */
  group: number | string;
}

export function regexLocator(source: string, group?: number | string): RegexLocator {
  const re = new RegExp(source);
  // default: the first group, or the whole match when the pattern has none
  const hasGroups = new RegExp(`${source}|`).exec("")!.length > 1;
  return { re, group: group ?? (hasGroups ? 1 : 0) };
}

/** The captured text; undefined when the line does not match or the group took no part. */
export function regexCapture(loc: RegexLocator, text: string): string | undefined {
  const m = loc.re.exec(text);
  if (!m) return undefined;
  return typeof loc.group === "number" ? m[loc.group] : m.groups?.[loc.group];
}
