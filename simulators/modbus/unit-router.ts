/**
 * The transport-independent part of a simulated slave: route a request PDU to the bank of its unit
 * id, consult the fault injector, and say what the transport must do. The TCP and RTU servers only
 * add framing (MBAP or address + CRC) on top.
 */
import { handlePdu, exceptionPdu, WRITE_FUNCTION_CODES } from "./pdu.js";
import type { FaultInjector } from "./faults.js";
import type { RegisterBank } from "./register-bank.js";

export type SlaveAction =
  /** Send nothing. */
  | { type: "silent" }
  /** TCP: destroy the connection. RTU: send nothing. */
  | { type: "drop" }
  /** Send these raw bytes instead of a frame. */
  | { type: "garbage"; bytes: Buffer }
  /** Send this response PDU, possibly damaged, after `delayMs` (0: now). */
  | { type: "reply"; pdu: Buffer; damage: "bad-crc" | "truncated" | undefined; delayMs: number };

/** Counters a server keeps; handy in tests and in the CLI. */
export interface ServerStats {
  /** Well-framed requests seen (including ones for other unit ids). */
  requests: number;
  /** Responses written (including damaged ones and garbage). */
  replies: number;
  /** Requests not for a unit this server serves (RTU ignores them). */
  otherUnit: number;
  /** Frames discarded for a bad CRC or broken framing. */
  badFrames: number;
  /** Broadcast writes executed (RTU unit id 0). */
  broadcasts: number;
  /** Replies currently held back by a `slow` fault. */
  delayed: number;
}

export function emptyStats(): ServerStats {
  return { requests: 0, replies: 0, otherUnit: 0, badFrames: 0, broadcasts: 0, delayed: 0 };
}

export class UnitRouter {
  readonly #banks: ReadonlyMap<number, RegisterBank>;
  readonly #faults: FaultInjector | undefined;

  /** `banks` is read live: units added to or removed from the map later are served or not. */
  constructor(banks: ReadonlyMap<number, RegisterBank>, faults?: FaultInjector) {
    this.#banks = banks;
    this.#faults = faults;
  }

  bank(unitId: number): RegisterBank | undefined {
    return this.#banks.get(unitId);
  }

  get unitIds(): number[] {
    return [...this.#banks.keys()];
  }

  /** Decide the answer to a request for a unit this server serves (`bank` given). */
  handle(unitId: number, bank: RegisterBank, pdu: Buffer): SlaveAction {
    const fc = pdu[0] ?? 0;
    const fault = this.#faults?.take(unitId, fc);
    if (!fault) return { type: "reply", pdu: handlePdu(bank, pdu), damage: undefined, delayMs: 0 };
    switch (fault.mode) {
      case "no-answer":
        return { type: "silent" };
      case "drop":
        return { type: "drop" };
      case "exception":
        return { type: "reply", pdu: exceptionPdu(fc, fault.exceptionCode), damage: undefined, delayMs: 0 };
      case "garbage":
        return { type: "garbage", bytes: fault.garbage };
      case "bad-crc":
      case "truncated":
        return { type: "reply", pdu: handlePdu(bank, pdu), damage: fault.mode, delayMs: 0 };
      case "slow":
        return { type: "reply", pdu: handlePdu(bank, pdu), damage: undefined, delayMs: fault.delayMs };
    }
  }

  /** Execute a broadcast write (unit id 0) on every bank; never answered. False if not a write. */
  broadcast(pdu: Buffer): boolean {
    if (!WRITE_FUNCTION_CODES.has(pdu[0] ?? 0)) return false;
    for (const bank of this.#banks.values()) handlePdu(bank, pdu);
    return true;
  }
}
