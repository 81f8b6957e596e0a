/**
 * Where a point's value sits in a record, compiled once per point from its profile entry: a regex
 * capture, a CSV column, a JSON path, an NMEA sentence type and field (talker-agnostic, optionally
 * a coordinate), or a binary field. `locate` returns undefined when the record does not carry the
 * point (another sentence type, a line the regex does not match), the value when it does, and
 * throws a coded error when it carries it but the value is unusable.
 */
import { LosError } from "../../core/errors.js";
import type { Value } from "../../core/types.js";
import type { SerialFraming, SerialPointDef } from "../../config/serial-profile-schema.js";
import { nmeaCoordinate } from "./nmea-sentence.js";
import { convertValue, readBinary, type BinaryType, type Scaling, type TextType } from "./point-value.js";
import type { SerialRecord } from "./serial-record.js";
import { jsonPath, regexCapture, regexLocator } from "./text-parsers.js";

export type PointLocator = (record: SerialRecord) => Value | undefined;

const BINARY = new Set(["int8", "uint8", "int16", "uint16", "int32", "uint32", "float32"]);

export function textType(def: SerialPointDef): TextType {
  return def.type === "bool" || def.type === "string" ? def.type : "number";
}

export function scalingOf(def: SerialPointDef): Scaling {
  return { scale: def.scale ?? 1, offset: def.offset ?? 0 };
}

/** The value of a regex-located text (a line or a command answer); the whole text without regex. */
export function textLocator(def: SerialPointDef): (text: string) => Value | undefined {
  const type = textType(def);
  const s = scalingOf(def);
  if (def.regex === undefined) return (text) => convertValue(text.trim(), type, s, def.name);
  const loc = regexLocator(def.regex, def.group);
  return (text) => {
    const raw = regexCapture(loc, text);
    return raw === undefined ? undefined : convertValue(raw, type, s, def.name);
  };
}

export function compileLocator(framing: SerialFraming, def: SerialPointDef): PointLocator {
  const type = textType(def);
  const s = scalingOf(def);
  const name = def.name;
  switch (framing.kind) {
    case "lines": {
      if (framing.format === "csv") {
        const col = def.column ?? 0;
        return (r) => {
          if (r.kind !== "csv") return undefined;
          const raw = r.columns[col];
          return raw === undefined ? undefined : convertValue(raw, type, s, name);
        };
      }
      if (framing.format === "json") {
        const path = (def.path ?? "").split(".");
        return (r) => {
          if (r.kind !== "json") return undefined;
          const raw = jsonPath(r.doc, path);
          return raw === undefined ? undefined : convertValue(raw, type, s, name);
        };
      }
      const text = textLocator(def);
      return (r) => (r.kind === "line" ? text(r.text) : undefined);
    }
    case "nmea": {
      const sentence = def.sentence ?? "";
      const at = (def.field ?? 1) - 1;
      const coordinate = def.coordinate;
      return (r) => {
        if (r.kind !== "nmea" || r.sentence.type !== sentence) return undefined;
        const raw = r.sentence.fields[at];
        if (raw === undefined) throw new LosError("LOS_E_DEVICE_BAD_FRAME", `${name}: ${r.sentence.talker}${sentence} has no field ${at + 1}`);
        // NMEA leaves a field empty when the device has no value (no fix, sensor missing)
        if (raw === "") throw new LosError("LOS_E_DEVICE_NO_VALUE", `${name}: field ${at + 1} of ${r.sentence.talker}${sentence} is empty`);
        if (coordinate === undefined) return convertValue(raw, type, s, name);
        const deg = nmeaCoordinate(raw, r.sentence.fields[at + 1] ?? "");
        if (deg === undefined) throw new LosError("LOS_E_DEVICE_BAD_FRAME", `${name}: "${raw}" is not a ${coordinate} with a hemisphere`);
        return deg * s.scale + s.offset;
      };
    }
    case "binary": {
      const btype = (def.type !== undefined && BINARY.has(def.type) ? def.type : "uint8") as BinaryType;
      const offset = def.byteOffset ?? 0;
      const little = def.byteOrder === "little";
      return (r) => (r.kind === "binary" ? readBinary(r.payload, offset, btype, little, s, name) : undefined);
    }
    case "command": {
      const text = textLocator(def);
      return (r) => (r.kind === "line" ? text(r.text) : undefined);
    }
  }
}
