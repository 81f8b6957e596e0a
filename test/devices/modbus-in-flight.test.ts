/**
 * Several Modbus TCP requests in flight on one connection (maxInFlight > 1): answers matched by MBAP
 * transaction id, requests of one turn in one socket write; maxInFlight 1 unchanged.
 * A byte relay on loopback sits between the driver and the simulator to see what crosses the wire,
 * and the driver's socket writes are counted (Node's stream hands a socket one `_write` or `_writev`
 * per syscall).
 */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { isLosError } from "../../src/core/errors.js";
import type { ModbusTcpConnection } from "../../src/config/connection-schema.js";
import { ModbusDriver } from "../../src/devices/modbus/modbus-driver.js";
import type { BlockResult } from "../../src/devices/driver.js";
import type { ReadBlock } from "../../src/devices/modbus/read-plan.js";
import { startTcpSim, waitFor } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Split a chunk of MBAP frames into frames (the chunks here always hold whole frames). */
function frames(chunk: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at + 6 <= chunk.length) {
    const end = at + 6 + chunk.readUInt16BE(at + 4);
    out.push(chunk.subarray(at, end));
    at = end;
  }
  expect(at).toBe(chunk.length);
  return out;
}

type WriteFn = (this: net.Socket, ...a: unknown[]) => unknown;

/** Count write operations (syscalls) of client sockets connected to `port`; passes everything through. */
function countWrites(port: () => number): { writes: number } {
  const proto = net.Socket.prototype as unknown as { _write: WriteFn; _writev: WriteFn };
  const original = { _write: proto._write, _writev: proto._writev };
  const counter = { writes: 0 };
  for (const name of ["_write", "_writev"] as const) {
    const real = original[name];
    proto[name] = function (this: net.Socket, ...a: unknown[]) {
      if (this.remotePort === port()) counter.writes++;
      return real.apply(this, a);
    };
  }
  cleanups.push(async () => {
    proto._write = original._write;
    proto._writev = original._writev;
  });
  return counter;
}

interface Relay {
  port: number;
  /** what the driver wrote, one entry per chunk the relay read */
  requestChunks: Buffer[];
  /** most requests seen on the wire without their answer yet */
  maxOutstanding: number;
}

/**
 * Relay to `target`. With `swapPairs`, answers are held until two are there and sent back in
 * reverse order in one write, so the client must match them by transaction id.
 */
async function startRelay(target: number, swapPairs: boolean): Promise<Relay> {
  const sockets = new Set<net.Socket>();
  const relay: Relay = { port: 0, requestChunks: [], maxOutstanding: 0 };
  let outstanding = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(target, "127.0.0.1");
    sockets.add(client).add(upstream);
    client.setNoDelay(true);
    client.on("data", (chunk: Buffer) => {
      relay.requestChunks.push(Buffer.from(chunk));
      outstanding += frames(chunk).length;
      relay.maxOutstanding = Math.max(relay.maxOutstanding, outstanding);
      upstream.write(chunk);
    });
    let held: Buffer = Buffer.alloc(0);
    upstream.on("data", (chunk: Buffer) => {
      held = Buffer.concat([held, chunk]);
      const got: Buffer[] = [];
      let at = 0;
      while (at + 6 <= held.length && at + 6 + held.readUInt16BE(at + 4) <= held.length) {
        const end = at + 6 + held.readUInt16BE(at + 4);
        got.push(held.subarray(at, end));
        at = end;
      }
      if (swapPairs && got.length < 2) return;
      held = held.subarray(at);
      outstanding -= got.length;
      client.write(Buffer.concat(swapPairs ? got.reverse() : got));
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  relay.port = (server.address() as net.AddressInfo).port;
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return relay;
}

async function setup(maxInFlight: number, swapPairs: boolean) {
  const sim = await startTcpSim([1]);
  cleanups.push(() => sim.close());
  const relay = await startRelay(sim.port, swapPairs);
  const socketWrites = countWrites(() => relay.port);
  const conn: ModbusTcpConnection = { type: "modbus-tcp", host: "127.0.0.1", port: relay.port, unitId: 1, timeoutMs: 2000, maxInFlight };
  const driver = new ModbusDriver({ connection: conn });
  cleanups.push(() => driver.close());
  await driver.open();
  return { sim, relay, driver, socketWrites };
}

const PAIR: ReadBlock[] = [
  { kind: "input", address: 0, count: 3 },
  { kind: "holding", address: 100, count: 2 },
];

const data = (rs: BlockResult[]) => rs.map((r) => (r.ok ? r.data : r.error.code));

describe("modbus TCP with several requests in flight", () => {
  it("maxInFlight 2: both block reads of a batch leave in one write and each answer reaches its own request", async () => {
    const { sim, relay, driver, socketWrites } = await setup(2, true);
    for (let cycle = 0; cycle < 20; cycle++) {
      sim.bank(1).setWords("input", 0, [cycle, cycle + 1, cycle + 2]);
      sim.bank(1).setWords("holding", 100, [1000 + cycle, 2000 + cycle]);
      expect(data(await driver.read(1, PAIR))).toEqual([
        [cycle, cycle + 1, cycle + 2],
        [1000 + cycle, 2000 + cycle],
      ]);
    }
    // one socket write per batch, two frames each, with two different transaction ids
    expect(socketWrites.writes).toBe(20);
    expect(relay.requestChunks).toHaveLength(20);
    for (const chunk of relay.requestChunks) {
      const f = frames(chunk);
      expect(f.map((x) => x[7])).toEqual([4, 3]); // FC4 then FC3
      expect(f[0]!.readUInt16BE(0)).not.toBe(f[1]!.readUInt16BE(0));
    }
    expect(relay.maxOutstanding).toBe(2);
    expect(sim.server.stats.requests).toBe(40);
    expect(driver.health()).toMatchObject({ requests: 40, failures: 0, connected: true });
  });

  it("maxInFlight 1: one request on the wire at a time, one write each, same answers", async () => {
    const { sim, relay, driver, socketWrites } = await setup(1, false);
    for (let cycle = 0; cycle < 5; cycle++) {
      sim.bank(1).setWords("input", 0, [cycle, 7, 8]);
      sim.bank(1).setWords("holding", 100, [cycle, 9]);
      expect(data(await driver.read(1, PAIR))).toEqual([
        [cycle, 7, 8],
        [cycle, 9],
      ]);
    }
    expect(socketWrites.writes).toBe(10);
    expect(relay.requestChunks).toHaveLength(10);
    for (const chunk of relay.requestChunks) expect(frames(chunk)).toHaveLength(1);
    expect(relay.maxOutstanding).toBe(1);
  });

  it("a batch cut by a dropped connection fails both requests; after the reconnect a new batch is answered", async () => {
    const { sim, relay, driver, socketWrites } = await setup(2, true);
    sim.bank(1).setWords("input", 0, [1, 2, 3]);
    sim.bank(1).setWords("holding", 100, [4, 5]);
    sim.faults.set({ mode: "drop", count: 1 });
    const cut = await driver.read(1, PAIR);
    for (const r of cut) expect(!r.ok && isLosError(r.error, "LOS_E_DEVICE_DISCONNECTED")).toBe(true);
    await waitFor(() => driver.health().connected, "reconnect");
    const before = relay.requestChunks.length;
    const writesBefore = socketWrites.writes;
    expect(data(await driver.read(1, PAIR))).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    expect(relay.requestChunks.length - before).toBe(1);
    expect(socketWrites.writes - writesBefore).toBe(1);
  });

  it("closing the driver in the turn that issued a batch settles the batch and closes", async () => {
    const { driver } = await setup(2, true);
    const pending = driver.read(1, PAIR);
    await driver.close();
    for (const r of await pending) expect(r.ok).toBe(false);
    expect(driver.health().connected).toBe(false);
  });
});
