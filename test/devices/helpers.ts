/** Shared helpers for the devices tests: simulators on loopback, bounded condition polling. */
import { startModbusTcpServer, type ModbusTcpServer } from "../../simulators/modbus/tcp-server.js";
import { RegisterBank } from "../../simulators/modbus/register-bank.js";
import { FaultInjector } from "../../simulators/modbus/faults.js";
import type { Clock } from "../../src/core/clock.js";

/** Poll `cond` until it holds; fails after `timeoutMs` of real time (a bound, not a measurement). */
export async function waitFor(cond: () => boolean, what = "condition", timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((r) => setTimeout(r, 2));
  }
}

export interface TcpSim {
  server: ModbusTcpServer;
  port: number;
  faults: FaultInjector;
  banks: Map<number, RegisterBank>;
  bank(unitId: number): RegisterBank;
  close(): Promise<void>;
}

/** A Modbus TCP simulator with one register bank per unit id. */
export async function startTcpSim(unitIds: number[] = [1], opts: { port?: number; clock?: Clock } = {}): Promise<TcpSim> {
  const banks = new Map(unitIds.map((u) => [u, new RegisterBank()] as const));
  const faults = new FaultInjector();
  const server = await startModbusTcpServer({ banks, faults, port: opts.port ?? 0, clock: opts.clock });
  return {
    server,
    port: server.port,
    faults,
    banks,
    bank: (u) => banks.get(u)!,
    close: () => server.close(),
  };
}
