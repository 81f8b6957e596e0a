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
