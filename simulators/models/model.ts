/** What every simulator model offers: a register bank to serve and a way to advance time. */
import type { RegisterBank } from "../modbus/register-bank.js";

export interface SimModel {
  /** Model name, e.g. "greenhouse". */
  readonly kind: string;
  /** The registers a Modbus server serves for this model. */
  readonly bank: RegisterBank;
  /** Advance simulated time by `dtMs` and refresh the registers. */
  step(dtMs: number): void;
}
