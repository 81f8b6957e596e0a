/**
 * Shared by the Modbus TCP client tests: simulators, clients and relays made per test and closed
 * after it.
 */
import { afterEach } from "vitest";
import type { ManualClock } from "../../src/core/clock.js";
import type { LosError } from "../../src/core/errors.js";
import { ModbusTcpClient, type TcpClientOptions } from "../../src/devices/modbus/tcp-client.js";
import { startTcpSim, type TcpSim } from "./helpers.js";
import { startRelay, type RelayOptions } from "./modbus-relay.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Run `fn` after the current test (e.g. to undo a patch). */
export function onCleanup(fn: () => Promise<void>): void {
  cleanups.push(fn);
}

/** A simulator serving units 1 and 2. */
export async function sim(clock?: ManualClock): Promise<TcpSim> {
  const s = await startTcpSim([1, 2], { clock });
  cleanups.push(() => s.close());
  return s;
}

/** A connected client and the errors it reported as lost connections. */
export async function client(port: number, o: Partial<TcpClientOptions> = {}) {
  const lost: LosError[] = [];
  const c = await ModbusTcpClient.connect({ host: "127.0.0.1", port, timeoutMs: 2000, onLost: (e) => lost.push(e), ...o });
  cleanups.push(() => c.close());
  return { c, lost };
}

/** A client talking to the simulator through a relay that reshapes its answers. */
export async function viaRelay(s: TcpSim, relayOptions: RelayOptions, o: Partial<TcpClientOptions> = {}) {
  const relay = await startRelay(s.port, relayOptions);
  cleanups.push(() => relay.close());
  return { relay, ...(await client(relay.port, o)) };
}
