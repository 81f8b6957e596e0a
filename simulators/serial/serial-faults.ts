/**
 * Line faults of the serial simulators. Each message (an NMEA sentence, a CSV/JSON line, a binary
 * frame, a command reply) passes through `apply()` on its way to the wire:
 *
 * - `noise`: insert `noiseBytes` random bytes at a random place (between or inside messages);
 * - `truncate`: send only a random leading part of the message (at least one byte, never all);
 * - `badChecksum`: send the message with a wrong checksum (NMEA `*hh`, frame CRC); formats without
 *   a checksum (CSV, JSON, command replies) pass unchanged and are not counted.
 *
 * A rule fires with `probability` (default 1) per message; the newest rule of each mode decides,
 * and a rule with `count` expires after firing that many times. Unplug and replug are not rules:
 * they are actions on the simulator handle.
 */
import { FaultRules, type FaultRuleHandle, type FaultRuleState } from "../fault-rules.js";
import { Prng } from "../../src/core/prng.js";
import type { SerialMessage } from "./serial-message.js";

export type SerialFaultMode = "noise" | "truncate" | "badChecksum";

export const SERIAL_FAULT_MODES: readonly SerialFaultMode[] = ["noise", "truncate", "badChecksum"];

export interface SerialFaultSpec {
  mode: SerialFaultMode;
  /** Chance per message, 0..1 (default 1). */
  probability?: number;
  /** Fire this many times, then expire (default: until removed or cleared). */
  count?: number;
  /** For `noise`: random bytes per injection (default 4). */
  noiseBytes?: number;
}

export type SerialFaultRuleInfo = Readonly<SerialFaultSpec> & FaultRuleState;
export type SerialFaultHandle = FaultRuleHandle;

export class SerialFaultInjector {
  readonly #rules = new FaultRules<SerialFaultSpec>();
  readonly #prng: Prng;
  readonly #counts: Record<SerialFaultMode, number> = { noise: 0, truncate: 0, badChecksum: 0 };

  constructor(options: { seed?: number } = {}) {
    this.#prng = new Prng(options.seed ?? 1);
  }

  inject(spec: SerialFaultSpec): SerialFaultHandle {
    return this.#rules.add(validate(spec));
  }

  /** Replace the rules of this mode with one. */
  set(spec: SerialFaultSpec): SerialFaultHandle {
    this.clear(spec.mode);
    return this.inject(spec);
  }

  /** Remove every rule, or those of one mode. */
  clear(mode?: SerialFaultMode): void {
    this.#rules.clear(mode === undefined ? undefined : (spec) => spec.mode === mode);
  }

  rules(): SerialFaultRuleInfo[] {
    return this.#rules.list();
  }

  /** How many messages each mode has damaged. */
  counts(): Record<SerialFaultMode, number> {
    return { ...this.#counts };
  }

  /** The bytes to send for `message`, damaged by whichever rules fire. */
  apply(message: SerialMessage): Buffer {
    let bytes = message.bytes;
    if (message.corrupt && this.#fire("badChecksum")) bytes = message.corrupt();
    if (bytes.length > 1 && this.#fire("truncate")) bytes = bytes.subarray(0, 1 + this.#prng.int(bytes.length - 1));
    const noise = this.#fire("noise");
    if (noise) {
      const at = this.#prng.int(bytes.length + 1);
      bytes = Buffer.concat([bytes.subarray(0, at), this.#prng.bytes(noise.noiseBytes ?? 4), bytes.subarray(at)]);
    }
    return bytes;
  }

  /** Fire the newest rule of `mode` with its probability: its spec when it fired. */
  #fire(mode: SerialFaultMode): SerialFaultSpec | undefined {
    const newest = this.#rules.newest((r) => r.mode === mode);
    if (!newest) return undefined;
    const p = newest.probability ?? 1;
    if (p < 1 && this.#prng.next() >= p) return undefined;
    this.#counts[mode]++;
    return this.#rules.fire((r) => r === newest);
  }
}

function validate(spec: SerialFaultSpec): SerialFaultSpec {
  if (!SERIAL_FAULT_MODES.includes(spec.mode)) {
    throw new RangeError(`unknown serial fault mode ${String(spec.mode)}; use one of ${SERIAL_FAULT_MODES.join(", ")}`);
  }
  if (spec.probability !== undefined && !(spec.probability >= 0 && spec.probability <= 1)) {
    throw new RangeError(`probability must be 0..1, got ${spec.probability}`);
  }
  if (spec.count !== undefined && (!Number.isInteger(spec.count) || spec.count < 1)) {
    throw new RangeError(`count must be a positive integer, got ${spec.count}`);
  }
  if (spec.noiseBytes !== undefined && (!Number.isInteger(spec.noiseBytes) || spec.noiseBytes < 1)) {
    throw new RangeError(`noiseBytes must be a positive integer, got ${spec.noiseBytes}`);
  }
  return { ...spec };
}
