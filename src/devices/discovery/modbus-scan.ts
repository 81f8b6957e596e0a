/**
 * Modbus discovery: which unit ids answer behind a TCP peer or on an RTU bus, and which addresses of
 * each register kind they let us read. Goes through the project's Modbus driver (one connection,
 * one request at a time). A unit is present when a probe read of holding register 0 gets any answer,
 * an exception included; silence (a timeout) or a gateway exception (10, 11: nothing behind the
 * gateway) means absent. Nothing reachable at all is LOS_E_DISCOVERY_UNREACHABLE.
 */
import { LosError, isLosError } from "../../core/errors.js";
import type { RegisterKind } from "../../config/profile-schema.js";
import { ModbusDriver, type ModbusConnection } from "../modbus/modbus-driver.js";
import { MAX_READ_BITS, MAX_READ_REGISTERS } from "../modbus/read-plan.js";
import { probeRanges, type KindProbe, type ProbeAnswer } from "./range-probe.js";

export const SCAN_KINDS: readonly RegisterKind[] = ["holding", "input", "coil", "discrete"];

export type ScanTarget =
  | { type: "tcp"; host: string; port: number }
  | { type: "rtu"; path: string; baudRate?: number; parity?: "none" | "even" | "odd" };

export interface ModbusScanOptions {
  target: ScanTarget;
  unitIds: readonly number[];
  kinds?: readonly RegisterKind[];
  /** last address probed per kind, inclusive (default 999) */
  maxAddress?: number;
  /** per-request timeout (default 300 ms) */
  timeoutMs?: number;
  /** called after each unit id is probed */
  onProgress?: (p: ScanProgress) => void;
}

export interface ScanProgress {
  unitId: number;
  present: boolean;
  probed: number;
  total: number;
  found: number;
}

export interface UnitFinding {
  unitId: number;
  /** why the unit counts as present: "answer" or the exception name it answered the probe with */
  presence: string;
  kinds: Partial<Record<RegisterKind, KindProbe>>;
}

export interface ModbusScanResult {
  target: ScanTarget;
  units: UnitFinding[];
  probed: number;
  requests: number;
}

export const DEFAULT_MAX_ADDRESS = 999;
export const DEFAULT_SCAN_TIMEOUT_MS = 300;

/** Exceptions a TCP gateway answers for a unit id with nothing behind it. */
const GATEWAY_EXCEPTIONS = new Set([10, 11]);

export function describeTarget(t: ScanTarget): string {
  return t.type === "tcp" ? `${t.host}:${t.port}` : t.path;
}

function connection(t: ScanTarget, unitId: number, timeoutMs: number): ModbusConnection {
  // Reconnect slowly: a scan is one pass, and a lost link fails the scan rather than being retried.
  const timing = { timeoutMs, reconnectMinMs: 60_000, reconnectMaxMs: 60_000 };
  if (t.type === "tcp") return { type: "modbus-tcp", host: t.host, port: t.port, unitId, ...timing };
  return { type: "modbus-rtu", path: t.path, baudRate: t.baudRate ?? 9600, parity: t.parity ?? "none", unitId: Math.max(1, unitId), ...timing };
}

function unreachable(t: ScanTarget, why: string, cause?: unknown): LosError {
  return new LosError("LOS_E_DISCOVERY_UNREACHABLE", `nothing reachable at ${describeTarget(t)}: ${why}`, {
    cause,
    details: { target: describeTarget(t) },
  });
}

export async function scanModbus(options: ModbusScanOptions): Promise<ModbusScanResult> {
  const { target, unitIds } = options;
  const kinds = options.kinds ?? SCAN_KINDS;
  const maxAddress = options.maxAddress ?? DEFAULT_MAX_ADDRESS;
  const driver = new ModbusDriver({ connection: connection(target, unitIds[0] ?? 1, options.timeoutMs ?? DEFAULT_SCAN_TIMEOUT_MS) });
  let requests = 0;
  try {
    await driver.open();
    const health = driver.health();
    if (!health.connected) throw unreachable(target, health.lastError?.message ?? "cannot connect");

    const read = async (unitId: number, kind: RegisterKind, address: number, count: number): Promise<ProbeAnswer | LosError> => {
      requests++;
      const [r] = await driver.read(unitId, [{ kind, address, count }], { coalesce: false });
      if (r?.ok) return { ok: true, data: r.data };
      const err = r?.error ?? new LosError("LOS_E_DEVICE_TIMEOUT", "no result");
      if (err.code === "LOS_E_DEVICE_TIMEOUT") return { ok: false, reason: "timeout" };
      const exception = Number(err.details?.exceptionCode);
      if (err.code === "LOS_E_DEVICE_EXCEPTION" && exception === 1) return { ok: false, reason: "unsupported" };
      if (err.code === "LOS_E_DEVICE_EXCEPTION" && (exception === 2 || exception === 3)) return { ok: false, reason: "refused" };
      return err;
    };

    const units: UnitFinding[] = [];
    let probed = 0;
    for (const unitId of unitIds) {
      const presence = await probePresence(unitId, read);
      probed++;
      if (presence !== undefined) {
        const finding: UnitFinding = { unitId, presence, kinds: {} };
        for (const kind of kinds) {
          const bits = kind === "coil" || kind === "discrete";
          finding.kinds[kind] = await probeRanges(
            async (address, count) => {
              const answer = await read(unitId, kind, address, count);
              if (answer instanceof LosError) {
                // A gateway may refuse a block with 10/11 too; anything else (link lost…) ends the scan.
                if (GATEWAY_EXCEPTIONS.has(Number(answer.details?.exceptionCode))) return { ok: false, reason: "refused" };
                if (answer.code === "LOS_E_DEVICE_EXCEPTION") return { ok: false, reason: "refused" };
                throw answer;
              }
              return answer;
            },
            { to: maxAddress, maxBlock: bits ? MAX_READ_BITS : MAX_READ_REGISTERS },
          );
        }
        units.push(finding);
      }
      options.onProgress?.({ unitId, present: presence !== undefined, probed, total: unitIds.length, found: units.length });
    }
    if (units.length === 0) throw unreachable(target, `no unit id of ${unitIds.length} probed answered (check the unit ids, baud rate, parity and wiring)`);
    return { target, units, probed, requests };
  } catch (err) {
    if (isLosError(err, "LOS_E_DEVICE_DISCONNECTED")) throw unreachable(target, err.message, err);
    throw err;
  } finally {
    await driver.close();
  }
}

type Reader = (unitId: number, kind: RegisterKind, address: number, count: number) => Promise<ProbeAnswer | LosError>;

/** How the unit answered the probe ("answer" or an exception name), or undefined when absent. */
async function probePresence(unitId: number, read: Reader): Promise<string | undefined> {
  const answer = await read(unitId, "holding", 0, 1);
  if (!(answer instanceof LosError)) {
    if (answer.ok) return "answer";
    if (answer.reason === "timeout") return undefined;
    return answer.reason === "unsupported" ? "ILLEGAL_FUNCTION" : "refused";
  }
  if (answer.code === "LOS_E_DEVICE_EXCEPTION") {
    if (GATEWAY_EXCEPTIONS.has(Number(answer.details?.exceptionCode))) return undefined;
    return String(answer.details?.exceptionName ?? "exception");
  }
  // Garbled bytes mean something is on the line at this address; a lost link ends the scan.
  if (answer.code === "LOS_E_DEVICE_BAD_FRAME") return "bad frame";
  throw answer;
}
