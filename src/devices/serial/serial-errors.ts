/**
 * serialport's errors in the project's codes. The native binding reports plain messages (no errno
 * code), so the message is matched: a path that does not exist, a port locked or busy elsewhere,
 * and everything else as a lost connection.
 */
import { LosError, isLosError } from "../../core/errors.js";

export function translateSerialError(err: unknown, path: string): LosError {
  if (isLosError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  if (code === "ENOENT" || /no such file or directory|ENOENT|cannot find the file/i.test(message)) {
    return new LosError("LOS_E_SERIAL_PORT_MISSING", `serial port ${path} does not exist`, { cause: err, details: { path } });
  }
  if (code === "EBUSY" || /cannot lock port|resource (temporarily unavailable|busy)|EBUSY|access denied/i.test(message)) {
    return new LosError("LOS_E_SERIAL_PORT_BUSY", `serial port ${path} is in use by another program or connection`, { cause: err, details: { path } });
  }
  return new LosError("LOS_E_DEVICE_DISCONNECTED", `serial port ${path}: ${message}`, { cause: err, details: { path } });
}
