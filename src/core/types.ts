/** Values, readings and point references shared by every layer. */

export type Value = number | boolean | string;

/** good: fresh from the device; bad: the device failed to answer; uncertain: stale or clamped. */
export type Quality = "good" | "bad" | "uncertain";

export interface Reading {
  /** Fully qualified point id: `<deviceId>/<pointName>`. */
  point: string;
  value: Value | null;
  quality: Quality;
  /** Epoch milliseconds when the gateway received the value. */
  ts: number;
  /** Error code when quality is bad. */
  error?: string;
}

export function pointId(deviceId: string, pointName: string): string {
  return `${deviceId}/${pointName}`;
}

export function splitPointId(id: string): { device: string; point: string } | undefined {
  const slash = id.indexOf("/");
  if (slash <= 0 || slash === id.length - 1) return undefined;
  return { device: id.slice(0, slash), point: id.slice(slash + 1) };
}

/** Who asked for something: used by capability checks and audit records. */
export interface Actor {
  kind: "agent" | "operator" | "mqtt" | "system";
  id: string;
  tenant?: string;
  /** for MQTT clients: the role their credentials carry */
  role?: string;
}

export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** A logger that drops everything: the default in tests and libraries. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
