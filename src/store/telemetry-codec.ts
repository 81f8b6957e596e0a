/** How readings map onto the columns of history.db (see history-migrations.ts). */
import type { Quality, Reading, Value } from "../core/types.js";

/** Value kinds, per row in the write buffer and per point in `points.kind`. */
export const KIND_NONE = 0;
export const KIND_NUMBER = 1;
export const KIND_BOOLEAN = 2;
export const KIND_STRING = 3;

export const QUALITY_CODES: Readonly<Record<Quality, number>> = { good: 0, uncertain: 1, bad: 2 };
const QUALITY_NAMES: readonly Quality[] = ["good", "uncertain", "bad"];

export function qualityName(code: number): Quality {
  return QUALITY_NAMES[code] ?? "uncertain";
}

/** A row of samples or last_values joined with its point. */
export interface SampleRow {
  name: string;
  kind: number;
  ts: number;
  num: number | null;
  txt: string | null;
  quality: number;
  error: string | null;
}

export function decodeValue(kind: number, num: number | null, txt: string | null): Value | null {
  if (txt !== null) return txt;
  if (num === null) return null;
  return kind === KIND_BOOLEAN ? num !== 0 : num;
}

export function rowToReading(row: SampleRow): Reading {
  const reading: Reading = {
    point: row.name,
    value: decodeValue(row.kind, row.num, row.txt),
    quality: qualityName(row.quality),
    ts: row.ts,
  };
  if (row.error !== null) reading.error = row.error;
  return reading;
}
