/**
 * Fault injection shared by the TCP and RTU simulators. A fault rule says what goes wrong, for
 * which unit id and function codes, and for how many requests; the servers ask `take()` once per
 * request addressed to a unit they serve and act on the answer:
 *
 * - `none`: answer normally (a rule that exempts matching requests from later, broader rules);
 * - `no-answer`: swallow the request (not executed, no reply);
 * - `exception`: reply with `exceptionCode` (default 04, server device failure), not executed;
 * - `drop`: TCP destroys the connection; RTU stays silent (the device fell off the bus);
 * - `garbage`: reply `garbageLength` random bytes (seeded) instead of a frame, not executed;
 * - `bad-crc`: execute and reply a frame whose integrity check is wrong (RTU: CRC flipped;
 *   TCP: MBAP length field off by one too short);
 * - `truncated`: execute and reply only the first part of the frame (RTU: cut bytes, no CRC; TCP:
 *   a consistent MBAP around a PDU cut short);
 * - `slow`: execute and reply after `delayMs` on the server's clock.
 *
 * The newest matching rule wins. A rule with `count` expires after that many requests.
 */
import { FaultRules, type FaultRuleHandle, type FaultRuleState } from "../fault-rules.js";
import { Prng } from "../../src/core/prng.js";

export type FaultMode = "none" | "no-answer" | "exception" | "drop" | "garbage" | "bad-crc" | "truncated" | "slow";

export const FAULT_MODES: readonly FaultMode[] = [
  "none",
  "no-answer",
  "exception",
  "drop",
  "garbage",
  "bad-crc",
  "truncated",
  "slow",
];

export interface FaultSpec {
  mode: FaultMode;
  /** Only requests to this unit id (default: all units). */
  unitId?: number;
  /** Only requests with these function codes (default: all). */
  functionCodes?: readonly number[];
  /** Only the next N matching requests (default: until removed or cleared). */
  count?: number;
  /** For `exception`: the Modbus exception code to answer (default 4). */
  exceptionCode?: number;
  /** For `slow`: how long to hold the answer, in ms of the server's clock (default 1000). */
  delayMs?: number;
  /** For `garbage`: how many random bytes to answer (default 8). */
  garbageLength?: number;
}

/** What a server must do with one request. */
export interface FaultDecision {
  mode: Exclude<FaultMode, "none">;
  exceptionCode: number;
  delayMs: number;
  /** Random bytes for `garbage` (empty otherwise). */
  garbage: Buffer;
}

export type FaultRuleInfo = Readonly<FaultSpec> & FaultRuleState;
export type FaultHandle = FaultRuleHandle;

export interface FaultInjectorOptions {
  /** Seed of the garbage bytes (default 1). */
  seed?: number;
}

export class FaultInjector {
  readonly #rules = new FaultRules<FaultSpec>();
  readonly #prng: Prng;
  readonly #counts = new Map<FaultMode, number>();

  constructor(options: FaultInjectorOptions = {}) {
    this.#prng = new Prng(options.seed ?? 1);
  }

  /** Add a rule (newest wins). */
  inject(spec: FaultSpec): FaultHandle {
    return this.#rules.add(validate(spec));
  }

  /** Replace every rule (of `spec.unitId` when given, else all) with this one. */
  set(spec: FaultSpec): FaultHandle {
    this.clear(spec.unitId);
    return this.inject(spec);
  }

  /** Remove all rules, or only those scoped to `unitId`. */
  clear(unitId?: number): void {
    this.#rules.clear(unitId === undefined ? undefined : (spec) => spec.unitId === unitId);
  }

  /** The active rules, oldest first. */
  rules(): FaultRuleInfo[] {
    return this.#rules.list();
  }

  /** How many requests each mode has affected since the injector was made. */
  counts(): Record<FaultMode, number> {
    const out = {} as Record<FaultMode, number>;
    for (const mode of FAULT_MODES) out[mode] = this.#counts.get(mode) ?? 0;
    return out;
  }

  /** Called by a server once per request: the fault to apply, or undefined to answer normally. */
  take(unitId: number, functionCode: number): FaultDecision | undefined {
    const spec = this.#rules.fire((r) => (r.unitId === undefined || r.unitId === unitId) && (!r.functionCodes || r.functionCodes.includes(functionCode)));
    if (!spec) return undefined;
    this.#counts.set(spec.mode, (this.#counts.get(spec.mode) ?? 0) + 1);
    if (spec.mode === "none") return undefined;
    return {
      mode: spec.mode,
      exceptionCode: spec.exceptionCode ?? 0x04,
      delayMs: spec.delayMs ?? 1000,
      garbage: spec.mode === "garbage" ? this.#prng.bytes(spec.garbageLength ?? 8) : Buffer.alloc(0),
    };
  }
}

function validate(spec: FaultSpec): FaultSpec {
  if (!FAULT_MODES.includes(spec.mode)) throw new RangeError(`unknown fault mode ${String(spec.mode)}`);
  if (spec.count !== undefined && (!Number.isInteger(spec.count) || spec.count < 1)) {
    throw new RangeError(`fault count must be a positive integer, got ${spec.count}`);
  }
  if (spec.exceptionCode !== undefined && (!Number.isInteger(spec.exceptionCode) || spec.exceptionCode < 1 || spec.exceptionCode > 255)) {
    throw new RangeError(`exception code must be 1..255, got ${spec.exceptionCode}`);
  }
  if (spec.delayMs !== undefined && !(spec.delayMs >= 0)) throw new RangeError(`delayMs must be >= 0, got ${spec.delayMs}`);
  if (spec.garbageLength !== undefined && (!Number.isInteger(spec.garbageLength) || spec.garbageLength < 1)) {
    throw new RangeError(`garbageLength must be a positive integer, got ${spec.garbageLength}`);
  }
  return { ...spec, functionCodes: spec.functionCodes ? [...spec.functionCodes] : undefined };
}
