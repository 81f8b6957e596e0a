/**
 * NMEA 0183 checksum: the XOR of every character between `$` (or `!`) and `*`, written as two
 * upper-case hex digits after the `*`. Pure functions, shared by the serial driver and the
 * simulators, so both sides agree on one definition.
 */

/** XOR of the characters of a sentence body (the text between `$`/`!` and `*`, exclusive). */
export function nmeaChecksum(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum ^= body.charCodeAt(i) & 0xff;
  return sum;
}

/** Two upper-case hex digits, e.g. 0x47 -> "47". */
export function nmeaChecksumHex(body: string): string {
  return nmeaChecksum(body).toString(16).toUpperCase().padStart(2, "0");
}

/** `$` + body + `*hh` (no line ending). `start` is `$` for ordinary sentences, `!` for encapsulated ones. */
export function withNmeaChecksum(body: string, start: "$" | "!" = "$"): string {
  return `${start}${body}*${nmeaChecksumHex(body)}`;
}

export type NmeaCheck =
  | { ok: true; body: string; checksum: number }
  | { ok: false; reason: "no-start" | "no-checksum" | "bad-hex" | "mismatch"; body?: string; expected?: number; actual?: number };

/**
 * Check one sentence (surrounding whitespace and CR/LF are ignored). A sentence without `*hh` is
 * `no-checksum`: NMEA makes the checksum optional for most sentences, so a caller may accept it.
 */
export function verifyNmeaSentence(sentence: string): NmeaCheck {
  const text = sentence.trim();
  const first = text[0];
  if (first !== "$" && first !== "!") return { ok: false, reason: "no-start" };
  const star = text.lastIndexOf("*");
  if (star < 0) return { ok: false, reason: "no-checksum", body: text.slice(1) };
  const body = text.slice(1, star);
  const hex = text.slice(star + 1);
  if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return { ok: false, reason: "bad-hex", body };
  const actual = Number.parseInt(hex, 16);
  const expected = nmeaChecksum(body);
  if (actual !== expected) return { ok: false, reason: "mismatch", body, expected, actual };
  return { ok: true, body, checksum: actual };
}
