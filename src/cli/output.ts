/**
 * Printing for the CLI: aligned tables for people, JSON for scripts, coded errors on stderr.
 */
import { ERROR_CODES, toLosError } from "../core/errors.js";
import { exitCodeFor } from "./exit-codes.js";

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function formatTable(headers: string[], rows: (string | number | boolean | null | undefined)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? "" : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells.map((r) => r.map((c, i) => (c ?? "").padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}

export function printTable(headers: string[], rows: (string | number | boolean | null | undefined)[][]): void {
  process.stdout.write(`${formatTable(headers, rows)}\n`);
}

export function formatTime(ts: number): string {
  return new Date(ts).toISOString().replace("T", " ").replace("Z", "");
}

/** Print a coded error and its advice; return the exit code it maps to. */
export function reportError(err: unknown): number {
  const e = toLosError(err);
  process.stderr.write(`error ${e.code}: ${e.message}\n`);
  if (e.message !== ERROR_CODES[e.code]) process.stderr.write(`  hint: ${e.hint}\n`);
  if (e.code === "LOS_E_INTERNAL" && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return exitCodeFor(e.code);
}
