/**
 * Translate what modbus-serial (the RTU path) and the socket below a Modbus client report into the
 * project's coded errors, at the driver's edge. The TCP client (tcp-client.ts) raises coded errors
 * itself and uses `exceptionError` for exception responses.
 *
 * modbus-serial 8.0.25 reports (index.js, ports/*):
 * - timeouts: a TransactionTimedOutError, `errno: "ETIMEDOUT"`, message "Timed out";
 * - exception responses: an Error with `modbusCode` (1..11), message "Modbus exception N: …";
 * - corrupt frames: plain Errors "CRC error", "Data length error, expected …", "Unexpected data
 *   error, expected address/code …" (for TCP the library builds the CRC itself, so only RTU sees
 *   "CRC error");
 * - a port that is not open: PortNotOpenError, `errno: "ECONNREFUSED"`, message "Port Not Open";
 * - socket / serial errors: Node errors with `code` ECONNREFUSED, ECONNRESET, EPIPE, ENOENT…
 */
import { LosError, type ErrorCode } from "../../core/errors.js";

export const EXCEPTION_NAMES: Record<number, string> = {
  1: "ILLEGAL_FUNCTION",
  2: "ILLEGAL_DATA_ADDRESS",
  3: "ILLEGAL_DATA_VALUE",
  4: "SERVER_DEVICE_FAILURE",
  5: "ACKNOWLEDGE",
  6: "SERVER_DEVICE_BUSY",
  7: "NEGATIVE_ACKNOWLEDGE",
  8: "MEMORY_PARITY_ERROR",
  10: "GATEWAY_PATH_UNAVAILABLE",
  11: "GATEWAY_TARGET_FAILED_TO_RESPOND",
};

const DISCONNECT_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ENOTCONN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOENT",
  "EACCES",
  "EBUSY",
  "EIO",
  "ERR_SOCKET_CLOSED",
  "ERR_STREAM_DESTROYED",
]);

const BAD_FRAME = /CRC error|Data length error|Unexpected data error|Unknown error|Bad Client Address/i;

interface LibraryError {
  message?: unknown;
  name?: unknown;
  errno?: unknown;
  code?: unknown;
  modbusCode?: unknown;
}

// a type, not an interface: it is spread into LosError details (a Record)
export type TranslateContext = {
  unitId?: number;
  fc?: number;
  address?: number;
  count?: number;
  key?: string;
};

/** LOS_E_DEVICE_EXCEPTION for an exception response carrying `exceptionCode`. */
export function exceptionError(exceptionCode: number, ctx: TranslateContext = {}, cause?: unknown): LosError {
  const exceptionName = EXCEPTION_NAMES[exceptionCode] ?? "UNKNOWN_EXCEPTION";
  return new LosError("LOS_E_DEVICE_EXCEPTION", `exception ${exceptionCode} ${exceptionName} from unit ${ctx.unitId ?? "?"}`, {
    cause,
    details: { ...ctx, exceptionCode, exceptionName },
  });
}

/** The coded error for anything modbus-serial (or the socket/serial port below it) reported. */
export function translateModbusError(err: unknown, ctx: TranslateContext = {}): LosError {
  if (err instanceof LosError) return err;
  const e = (typeof err === "object" && err !== null ? err : { message: String(err) }) as LibraryError;
  const message = typeof e.message === "string" && e.message !== "" ? e.message : String(err);
  const details: Record<string, unknown> = { ...ctx };
  let code: ErrorCode;
  if (typeof e.modbusCode === "number") return exceptionError(e.modbusCode, ctx, err);
  const errno = typeof e.errno === "string" ? e.errno : typeof e.code === "string" ? e.code : undefined;
  if (errno === "ETIMEDOUT" || e.name === "TransactionTimedOutError") {
    code = "LOS_E_DEVICE_TIMEOUT";
  } else if (message === "Port Not Open" || (errno !== undefined && DISCONNECT_CODES.has(errno)) || /connection timed out|closed|not open/i.test(message)) {
    code = "LOS_E_DEVICE_DISCONNECTED";
  } else {
    // "CRC error", "Data length error", "Unexpected data error", or a parse failure on a mangled
    // answer (e.g. a RangeError reading past the end): all mean the frame could not be trusted.
    code = "LOS_E_DEVICE_BAD_FRAME";
    if (!BAD_FRAME.test(message)) details.unrecognised = true;
  }
  return new LosError(code, `${message}${ctx.unitId !== undefined ? ` (unit ${ctx.unitId})` : ""}`, { cause: err, details });
}
