/** What a serial device reports in stats(): the common DeviceStats plus its port's parse counters. */
import type { DeviceStats } from "../protocol.js";
import type { SerialCounters } from "./stream-decoder.js";

export interface SerialDeviceStats extends DeviceStats, SerialCounters {
  /** command/response: requests that timed out */
  timeouts: number;
  /** streaming: records seen that carried at least one of this device's points */
  records: number;
}

export const DEFAULT_STALE_MS = 10_000;
export const DEFAULT_COMMAND_TIMEOUT_MS = 1000;
