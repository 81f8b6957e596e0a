/**
 * Exit codes of the llmagentos command, so scripts and service managers can tell failures apart.
 */
import type { ErrorCode } from "../core/errors.js";

export const EXIT = {
  OK: 0,
  /** a runtime failure: see the error code printed */
  FAILURE: 1,
  /** the command line was not understood */
  USAGE: 2,
  /** the config or a device profile is invalid or missing, or a secret is not set */
  CONFIG: 3,
  /** the data dir or its databases cannot be opened */
  STORE: 4,
  /** a network listener, device or simulator could not be started */
  UNAVAILABLE: 5,
} as const;

export function exitCodeFor(code: ErrorCode): number {
  if (code === "LOS_E_USAGE") return EXIT.USAGE;
  if (/^LOS_E_(CONFIG|PROFILE|SECRET|AGENT_CONFIG)/.test(code)) return EXIT.CONFIG;
  if (code.startsWith("LOS_E_STORE")) return EXIT.STORE;
  if (code === "LOS_E_BUS_LISTEN" || code === "LOS_E_SIM_START" || code.startsWith("LOS_E_DEVICE")) return EXIT.UNAVAILABLE;
  if (code.startsWith("LOS_E_DISCOVERY") || code === "LOS_E_GATEWAY_UNREACHABLE") return EXIT.UNAVAILABLE;
  return EXIT.FAILURE;
}
