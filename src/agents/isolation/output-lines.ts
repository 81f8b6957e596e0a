/**
 * An isolated agent's stdout or stderr, turned into log lines with bounds: a long line is cut, and
 * past `linesPerWindow` lines in one window the rest are dropped and counted (one line says how many)
 * so a chatty or hostile agent cannot flood the gateway's log or its memory.
 */
import type { Readable } from "node:stream";
import type { Clock } from "../../core/clock.js";

export interface OutputLimits {
  /** longest line kept, characters (the rest is cut and marked) */
  maxLineChars: number;
  linesPerWindow: number;
  windowMs: number;
}

export const OUTPUT_LIMITS: OutputLimits = { maxLineChars: 1000, linesPerWindow: 50, windowMs: 1000 };

export interface OutputCounts {
  lines: number;
  dropped: number;
}

/**
 * Read `stream` to its end, calling `emit` with each line (without its newline) within the limits;
 * `emit(undefined, n)` reports n dropped lines when the next window opens or the stream ends.
 */
export function pipeLines(
  stream: Readable,
  clock: Clock,
  emit: (line: string | undefined, dropped: number) => void,
  limits: OutputLimits = OUTPUT_LIMITS,
): OutputCounts {
  const counts: OutputCounts = { lines: 0, dropped: 0 };
  let partial = "";
  let windowStart = clock.monotonic();
  let inWindow = 0;
  let droppedInWindow = 0;

  const flushDropped = () => {
    if (droppedInWindow > 0) emit(undefined, droppedInWindow);
    droppedInWindow = 0;
  };
  const line = (text: string) => {
    const now = clock.monotonic();
    if (now - windowStart >= limits.windowMs) {
      flushDropped();
      windowStart = now;
      inWindow = 0;
    }
    if (inWindow >= limits.linesPerWindow) {
      droppedInWindow++;
      counts.dropped++;
      return;
    }
    inWindow++;
    counts.lines++;
    emit(text.length > limits.maxLineChars ? `${text.slice(0, limits.maxLineChars)}… (cut)` : text, 0);
  };

  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    partial += chunk;
    let nl: number;
    while ((nl = partial.indexOf("\n")) >= 0) {
      line(partial.slice(0, nl));
      partial = partial.slice(nl + 1);
    }
    // a line without an end is cut here: the buffer never grows past one line's bound
    if (partial.length > limits.maxLineChars) {
      line(partial);
      partial = "";
    }
  });
  stream.on("end", () => {
    if (partial.length > 0) line(partial);
    partial = "";
    flushDropped();
  });
  stream.on("error", () => {});
  return counts;
}
