/**
 * What a serial device model hands to the wire: one message (a line or a frame) as bytes, and,
 * for formats with an integrity check, the same message with a wrong checksum so the
 * `badChecksum` fault can damage exactly that part.
 */
export interface SerialMessage {
  readonly bytes: Buffer;
  /** The message with its checksum wrong and everything else intact (absent: the format has none). */
  readonly corrupt?: () => Buffer;
}

/** The models a serial simulator can run. */
export type SerialModelKind = "gps" | "weather" | "command" | "binary" | "csv" | "json";

export const SERIAL_MODEL_KINDS: readonly SerialModelKind[] = ["gps", "weather", "command", "binary", "csv", "json"];

/** A device that talks on its own, once per period. */
export interface PeriodicDevice {
  readonly kind: SerialModelKind;
  /** Advance the physics by `dtMs`. */
  step(dtMs: number): void;
  /** The messages of one period, stamped with wall time `nowMs` where the format carries time. */
  emit(nowMs: number): SerialMessage[];
  snapshot(): Record<string, unknown>;
}

/** A device that only answers requests (one line in, at most one line out). */
export interface RespondingDevice {
  readonly kind: SerialModelKind;
  step(dtMs: number): void;
  /** The reply to one request line (without its line ending); undefined: stay silent. */
  answer(request: string): SerialMessage | undefined;
  snapshot(): Record<string, unknown>;
}

export type SerialDevice = PeriodicDevice | RespondingDevice;

export function isResponding(device: SerialDevice): device is RespondingDevice {
  return "answer" in device;
}

/** A plain ASCII line ending in CR LF. */
export function lineMessage(text: string): SerialMessage {
  return { bytes: Buffer.from(`${text}\r\n`, "latin1") };
}
