/**
 * Point patterns used by capabilities: `<device>/<point>` where a `*` segment matches one whole
 * segment (e.g. "gh1/" followed by `*` for every point of gh1), and `*` or `**` alone match every point.
 */
export type PointMatcher = (pointId: string) => boolean;

function segmentMatches(pattern: string, value: string): boolean {
  return pattern === "*" || pattern === value;
}

export function compilePointPattern(pattern: string): PointMatcher {
  if (pattern === "*" || pattern === "**" || pattern === "*/*") return () => true;
  const slash = pattern.indexOf("/");
  if (slash < 0) return (id) => id === pattern;
  const device = pattern.slice(0, slash);
  const point = pattern.slice(slash + 1);
  return (id) => {
    const s = id.indexOf("/");
    return s > 0 && segmentMatches(device, id.slice(0, s)) && segmentMatches(point, id.slice(s + 1));
  };
}

/** A matcher for a list of patterns: true when any matches; an empty list matches nothing. */
export function compilePointPatterns(patterns: readonly string[] | undefined): PointMatcher {
  const matchers = (patterns ?? []).map(compilePointPattern);
  if (matchers.length === 0) return () => false;
  if (matchers.length === 1) return matchers[0]!;
  return (id) => matchers.some((m) => m(id));
}

/** The device part of a pattern, or undefined when it is a wildcard. */
export function patternDevice(pattern: string): string | undefined {
  const slash = pattern.indexOf("/");
  const device = slash < 0 ? pattern : pattern.slice(0, slash);
  return device === "*" || device === "**" ? undefined : device;
}
