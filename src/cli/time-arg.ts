/**
 * Time arguments: a duration back from now (`90s`, `15m`, `2h`, `7d`) or an ISO date/time.
 */
import { LosError } from "../core/errors.js";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new LosError("LOS_E_USAGE", `"${text}" is not a duration like 30s, 15m, 2h or 7d`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

/** `--since 15m` means 15 minutes ago; `--since 2026-11-21T08:00` is that instant. */
export function parseInstant(text: string, now: number): number {
  if (/^\d+(?:\.\d+)?(ms|s|m|h|d)$/.test(text.trim())) return now - parseDuration(text);
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new LosError("LOS_E_USAGE", `"${text}" is neither a duration (15m) nor a date (2026-11-21T08:00)`);
  return t;
}
