/**
 * What the serial profile schema cannot say: each point must locate its value the way the profile's
 * framing cuts the stream (a regex for regex lines and command answers, a column for csv, a path for
 * json, a sentence and field for NMEA, an offset and a binary type for frames).
 */
import type { SerialFraming, SerialPointDef } from "./serial-profile-schema.js";
import type { SchemaProblem } from "./validate.js";

const BINARY_SIZE: Record<string, number> = { int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4 };
const BINARY_TYPES = new Set(Object.keys(BINARY_SIZE));

function locatorProblem(framing: SerialFraming, p: SerialPointDef): { key: string; message: string } | undefined {
  switch (framing.kind) {
    case "lines":
      if (framing.format === "regex" && p.regex === undefined) return { key: "regex", message: "a point of a regex-lines profile needs `regex`" };
      if (framing.format === "csv" && p.column === undefined) return { key: "column", message: "a point of a csv profile needs `column`" };
      if (framing.format === "json" && p.path === undefined) return { key: "path", message: "a point of a json profile needs `path`" };
      return undefined;
    case "nmea":
      if (p.sentence === undefined || p.field === undefined) return { key: "sentence", message: "an NMEA point needs `sentence` (e.g. GGA) and `field`" };
      return undefined;
    case "binary":
      if (p.byteOffset === undefined) return { key: "byteOffset", message: "a binary-frame point needs `byteOffset`" };
      if (p.type === undefined || !BINARY_TYPES.has(p.type)) {
        return { key: "type", message: `a binary-frame point needs a binary type (${[...BINARY_TYPES].join(", ")})` };
      }
      return undefined;
    case "command":
      if (p.command === undefined && !p.writable) return { key: "command", message: "a command/response point needs `command` (what to send to read it)" };
      if (p.writable && p.writeCommand === undefined) return { key: "writeCommand", message: "a writable command/response point needs `writeCommand`" };
      return undefined;
  }
}

function regexProblem(source: string): string | undefined {
  try {
    new RegExp(source);
    return undefined;
  } catch (err) {
    return `invalid regular expression: ${err instanceof Error ? err.message : String(err)}`;
  }
}

export function checkSerialPoints(framing: SerialFraming, points: readonly SerialPointDef[]): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  if (framing.kind === "command" && framing.errorPattern !== undefined) {
    const bad = regexProblem(framing.errorPattern);
    if (bad) problems.push({ path: ["framing", "errorPattern"], message: bad });
  }
  if (framing.kind === "binary" && framing.lengthOffset < framing.sync.length) {
    problems.push({ path: ["framing", "lengthOffset"], message: `the length field must come after the ${framing.sync.length} sync bytes` });
  }
  points.forEach((p, i) => {
    const at = (key: string, message: string) => problems.push({ path: ["points", i, key], message });
    const missing = locatorProblem(framing, p);
    if (missing) at(missing.key, missing.message);
    if (p.regex !== undefined) {
      const bad = regexProblem(p.regex);
      if (bad) at("regex", bad);
    }
    if (p.writable && framing.kind !== "command") at("writable", `points of a ${framing.kind} profile are read-only (the device only sends)`);
    if (p.coordinate !== undefined && framing.kind !== "nmea") at("coordinate", "coordinate applies to NMEA points");
    if (p.coordinate !== undefined && p.type !== undefined && p.type !== "number") at("coordinate", "a coordinate is a number");
    if (framing.kind !== "binary" && p.type !== undefined && BINARY_TYPES.has(p.type)) {
      at("type", `${p.type} is a binary-frame type; text values are number, bool or string`);
    }
    if (framing.kind === "binary" && p.byteOffset !== undefined && p.type !== undefined && BINARY_TYPES.has(p.type)) {
      const end = p.byteOffset + BINARY_SIZE[p.type]!;
      if (framing.maxPayload !== undefined && end > framing.maxPayload) at("byteOffset", `the field ends at byte ${end}, past maxPayload ${framing.maxPayload}`);
    }
    if (p.scale === 0) at("scale", "scale 0 would make every value the same");
  });
  return problems;
}
