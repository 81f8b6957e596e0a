/**
 * The process logger: pino writing JSON lines (or nothing). Everything else receives a Logger.
 */
import { pino } from "pino";
import type { Logger } from "./types.js";

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

export function createLogger(level: LogLevel = "info", destination: NodeJS.WritableStream = process.stderr): Logger {
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, destination) as unknown as Logger;
}
