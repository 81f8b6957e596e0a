/**
 * What one unit of a serial stream becomes before points are taken from it: a text line (regex),
 * CSV columns, a JSON document, an NMEA sentence, a binary payload or a command answer. The
 * channel cuts and parses the stream once; every attached device reads its points from the record.
 */
import type { NmeaSentence } from "./nmea-sentence.js";

export type SerialRecord =
  | { kind: "line"; text: string }
  | { kind: "csv"; columns: string[] }
  | { kind: "json"; doc: unknown }
  | { kind: "nmea"; sentence: NmeaSentence }
  | { kind: "binary"; payload: Buffer };
