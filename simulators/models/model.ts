/** What every simulator model offers: a register bank to serve and a way to advance time. */
import type { RegisterBank } from "../modbus/register-bank.js";

export interface SimModel {
  /** Model name, e.g. "greenhouse". */
  readonly kind: string;
  /** The registers a Modbus server serves for this model. */
  readonly bank: RegisterBank;
  /** Advance simulated time by `dtMs` and refresh the registers. */
  step(dtMs: number): void;
  /**
   * Take in raw values written straight into the bank (by a test, the control API), so they
   * become the model's state, and refresh the registers derived from it. Client writes over the
   * protocol need no call; the model sees them itself.
   */
  sync(): void;
  /** The model's state as plain JSON (for the control API and logs). */
  snapshot(): Record<string, unknown>;
}

/** Physics stays stable when a long step (a compressed clock, a test jumping minutes) is cut into these. */
export const MAX_SUBSTEP_MS = 1000;

/** Advance `dtMs` in substeps of at most MAX_SUBSTEP_MS, calling `integrate` with each. */
export function inSubsteps(dtMs: number, integrate: (dtMs: number) => void): void {
  for (let left = dtMs; left > 0; ) {
    const dt = Math.min(MAX_SUBSTEP_MS, left);
    integrate(dt);
    left -= dt;
  }
}
