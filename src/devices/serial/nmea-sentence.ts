/**
 * NMEA 0183 sentences: `$TTSSS,f1,f2,...*hh`. Checks the checksum (nmea-checksum.ts), splits the
 * fields and names the sentence type without its talker, so a profile's `GGA` matches GPGGA, GNGGA
 * and GLGGA alike. Proprietary sentences (`$P...`) keep their whole address. Coordinates in
 * ddmm.mmmm plus hemisphere become signed decimal degrees. Pure, no I/O.
 */
import { verifyNmeaSentence } from "./nmea-checksum.js";

export interface NmeaSentence {
  /** e.g. GP, GN, WI ("" for proprietary) */
  talker: string;
  /** e.g. GGA, MWV (the whole address for proprietary sentences) */
  type: string;
  /** fields[0] is the first field after the address (profile field 1) */
  fields: string[];
}

export type NmeaParse = { ok: true; sentence: NmeaSentence } | { ok: false; reason: "checksum" | "malformed" };

/**
 * Parse one line. Garbage before the last `$`/`!` (noise, or a cut sentence run into this one) is
 * ignored. `requireChecksum` false accepts sentences without `*hh`; a checksum present is always
 * verified.
 */
export function parseNmeaSentence(line: string, requireChecksum = true): NmeaParse {
  const start = Math.max(line.lastIndexOf("$"), line.lastIndexOf("!"));
  if (start < 0) return { ok: false, reason: "malformed" };
  const text = line.slice(start).trim();
  const check = verifyNmeaSentence(text);
  let body: string;
  if (check.ok) body = check.body;
  else if (check.reason === "no-checksum" && !requireChecksum && check.body !== undefined) body = check.body;
  else return { ok: false, reason: check.reason === "mismatch" || check.reason === "bad-hex" || check.reason === "no-checksum" ? "checksum" : "malformed" };
  const fields = body.split(",");
  const address = fields.shift() ?? "";
  if (!/^[A-Z0-9]{3,}$/.test(address)) return { ok: false, reason: "malformed" };
  const proprietary = address.startsWith("P");
  return {
    ok: true,
    sentence: {
      talker: proprietary ? "" : address.slice(0, 2),
      type: proprietary ? address : address.slice(2),
      fields,
    },
  };
}

/**
 * `ddmm.mmmm` (latitude) or `dddmm.mmmm` (longitude) and its hemisphere to signed decimal degrees.
 * undefined when the field is not a coordinate.
 */
export function nmeaCoordinate(value: string, hemisphere: string): number | undefined {
  const m = /^(\d{2,3})(\d{2}(?:\.\d+)?)$/.exec(value.trim());
  if (!m) return undefined;
  const degrees = Number(m[1]) + Number(m[2]) / 60;
  const h = hemisphere.trim().toUpperCase();
  if (h === "S" || h === "W") return -degrees;
  if (h === "N" || h === "E") return degrees;
  return undefined;
}
