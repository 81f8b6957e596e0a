/**
 * What the Modbus driver needs from one open connection to its peer, whatever carries it: our own
 * MBAP client on a TCP socket (tcp-client.ts), or modbus-serial on an RTU bus (rtu-client.ts, loaded
 * with a dynamic import only when an RTU connection is opened, so a TCP-only gateway never loads
 * modbus-serial nor serialport). A transport is one connection: once lost or closed it stays dead and
 * the link (modbus-link.ts) opens a new one. Every request settles with a coded LosError on failure.
 */
import type { Clock } from "../../core/clock.js";
import type { LosError } from "../../core/errors.js";
import type { Logger } from "../../core/types.js";
import type { ModbusRtuConnection, ModbusTcpConnection } from "../../config/connection-schema.js";
import { ModbusTcpClient } from "./tcp-client.js";

export type ModbusConnection = ModbusTcpConnection | ModbusRtuConnection;

export interface ModbusTransport {
  /** true until the connection is lost or closed */
  readonly isOpen: boolean;
  readBits(unitId: number, fc: 1 | 2, address: number, count: number): Promise<boolean[]>;
  readRegisters(unitId: number, fc: 3 | 4, address: number, count: number): Promise<number[]>;
  writeCoil(unitId: number, address: number, on: boolean): Promise<void>;
  writeRegister(unitId: number, address: number, value: number): Promise<void>;
  writeCoils(unitId: number, address: number, values: readonly boolean[]): Promise<void>;
  writeRegisters(unitId: number, address: number, values: readonly number[]): Promise<void>;
  /** Fail everything in flight with `reason` and release the connection; never throws. */
  close(reason: LosError): Promise<void>;
}

export interface TransportOptions {
  /** connection key, for messages */
  key: string;
  timeoutMs: number;
  /** clock of request and connect timeouts */
  clock: Clock;
  logger: Logger;
  /** the connection died by itself (not by close()); called at most once */
  onLost: (err: LosError) => void;
}

/** Open a transport for `c`; rejects with LOS_E_DEVICE_DISCONNECTED when the peer cannot be reached. */
export async function openTransport(c: ModbusConnection, o: TransportOptions): Promise<ModbusTransport> {
  if (c.type === "modbus-tcp") {
    return ModbusTcpClient.connect({ host: c.host, port: c.port, maxInFlight: c.maxInFlight, ...o });
  }
  const { openRtuTransport } = await import("./rtu-client.js");
  return openRtuTransport(c, o);
}
