/**
 * A Modbus TCP slave on node:net: MBAP framing (transaction id, protocol id 0, length, unit id),
 * any number of connections, pipelined requests, unit id routing to register banks, and fault
 * injection. Built from the specification (not on a library server) so faults can break framing.
 */
import net from "node:net";
import { LosError } from "../../src/core/errors.js";
import { systemClock, type Clock, type TimerHandle } from "../../src/core/clock.js";
import { ExceptionCode, exceptionPdu } from "./pdu.js";
import type { FaultInjector } from "./faults.js";
import type { RegisterBank } from "./register-bank.js";
import { emptyStats, UnitRouter, type ServerStats, type SlaveAction } from "./unit-router.js";

const MBAP_LENGTH = 7; // transaction id 2, protocol id 2, length 2, unit id 1
const MAX_ADU = 260;

export interface ModbusTcpServerOptions {
  /** Units served, by unit id (read live). */
  banks: ReadonlyMap<number, RegisterBank>;
  host?: string;
  /** 0 (default) lets the OS choose. */
  port?: number;
  faults?: FaultInjector;
  /** Clock for `slow` fault delays (default systemClock). */
  clock?: Clock;
  /**
   * A request for a unit id not served: "gateway-exception" (default) answers exception 0x0B
   * (gateway target device failed to respond), "ignore" sends nothing. Unit ids 0 and 255 reach the
   * only unit when exactly one is served.
   */
  unknownUnit?: "gateway-exception" | "ignore";
}

export class ModbusTcpServer {
  readonly #server: net.Server;
  readonly #router: UnitRouter;
  readonly #banks: ReadonlyMap<number, RegisterBank>;
  readonly #clock: Clock;
  readonly #unknownUnit: "gateway-exception" | "ignore";
  readonly #sockets = new Set<net.Socket>();
  readonly #pending = new Map<TimerHandle, net.Socket>();
  readonly #stats: ServerStats = emptyStats();
  #closed = false;

  private constructor(server: net.Server, options: ModbusTcpServerOptions) {
    this.#server = server;
    this.#banks = options.banks;
    this.#router = new UnitRouter(options.banks, options.faults);
    this.#clock = options.clock ?? systemClock;
    this.#unknownUnit = options.unknownUnit ?? "gateway-exception";
    server.on("connection", (socket) => this.#accept(socket));
  }

  /** Bind and listen; rejects with LOS_E_SIM_START when the address cannot be bound. */
  static async start(options: ModbusTcpServerOptions): Promise<ModbusTcpServer> {
    const server = net.createServer();
    const instance = new ModbusTcpServer(server, options);
    const host = options.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) =>
        reject(new LosError("LOS_E_SIM_START", `Modbus TCP simulator cannot listen on ${host}:${options.port ?? 0}: ${err.message}`, { cause: err }));
      server.once("error", onError);
      server.listen(options.port ?? 0, host, () => {
        server.off("error", onError);
        resolve();
      });
    });
    return instance;
  }

  get host(): string {
    return (this.#server.address() as net.AddressInfo).address;
  }

  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  /** Open client connections. */
  get connections(): number {
    return this.#sockets.size;
  }

  get stats(): Readonly<ServerStats> {
    return { ...this.#stats, delayed: this.#pending.size };
  }

  /** Destroy every client connection (the server keeps listening). */
  dropConnections(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const handle of this.#pending.keys()) this.#clock.clearTimeout(handle);
    this.#pending.clear();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.dropConnections();
    await closed;
  }

  #accept(socket: net.Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    this.#sockets.add(socket);
    socket.setNoDelay(true);
    let buffer: Buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      while (buffer.length >= MBAP_LENGTH && !socket.destroyed) {
        const protocolId = buffer.readUInt16BE(2);
        const length = buffer.readUInt16BE(4);
        if (protocolId !== 0 || length < 2 || length + 6 > MAX_ADU) {
          // Framing is lost on this stream: a real server closes the connection.
          this.#stats.badFrames++;
          socket.destroy();
          return;
        }
        if (buffer.length < 6 + length) break;
        const frame = buffer.subarray(0, 6 + length);
        buffer = buffer.subarray(6 + length);
        this.#request(socket, frame);
      }
    });
    socket.on("error", () => {
      // A client that resets the connection is normal; nothing to report.
    });
    socket.on("close", () => {
      this.#sockets.delete(socket);
      for (const [handle, owner] of this.#pending) {
        if (owner === socket) {
          this.#clock.clearTimeout(handle);
          this.#pending.delete(handle);
        }
      }
    });
  }

  #request(socket: net.Socket, frame: Buffer): void {
    this.#stats.requests++;
    const transactionId = frame.readUInt16BE(0);
    const unitId = frame[6] as number;
    const pdu = Buffer.from(frame.subarray(7));
    let bank = this.#banks.get(unitId);
    if (!bank && (unitId === 0 || unitId === 255) && this.#banks.size === 1) bank = [...this.#banks.values()][0];
    if (!bank) {
      this.#stats.otherUnit++;
      if (this.#unknownUnit === "ignore") return;
      this.#send(socket, transactionId, unitId, {
        type: "reply",
        pdu: exceptionPdu(pdu[0] ?? 0, ExceptionCode.GATEWAY_TARGET_FAILED),
        damage: undefined,
        delayMs: 0,
      });
      return;
    }
    this.#send(socket, transactionId, unitId, this.#router.handle(unitId, bank, pdu));
  }

  #send(socket: net.Socket, transactionId: number, unitId: number, action: SlaveAction): void {
    switch (action.type) {
      case "silent":
        return;
      case "drop":
        socket.destroy();
        return;
      case "garbage":
        this.#write(socket, action.bytes);
        return;
      case "reply": {
        const adu = encodeAdu(transactionId, unitId, action.pdu, action.damage);
        if (action.delayMs <= 0) {
          this.#write(socket, adu);
          return;
        }
        const handle = this.#clock.setTimeout(() => {
          this.#pending.delete(handle);
          this.#write(socket, adu);
        }, action.delayMs);
        handle.unref?.();
        this.#pending.set(handle, socket);
      }
    }
  }

  #write(socket: net.Socket, bytes: Buffer): void {
    if (socket.destroyed || !socket.writable) return;
    this.#stats.replies++;
    socket.write(bytes);
  }
}

/** Start a Modbus TCP simulator server. */
export function startModbusTcpServer(options: ModbusTcpServerOptions): Promise<ModbusTcpServer> {
  return ModbusTcpServer.start(options);
}

/** Build a response ADU; `bad-crc` shortens the MBAP length by one, `truncated` cuts the PDU. */
function encodeAdu(transactionId: number, unitId: number, pdu: Buffer, damage: "bad-crc" | "truncated" | undefined): Buffer {
  const body = damage === "truncated" ? pdu.subarray(0, Math.max(1, Math.floor(pdu.length / 2))) : pdu;
  const adu = Buffer.alloc(MBAP_LENGTH + body.length);
  adu.writeUInt16BE(transactionId, 0);
  adu.writeUInt16BE(0, 2);
  adu.writeUInt16BE(body.length + 1 - (damage === "bad-crc" ? 1 : 0), 4);
  adu[6] = unitId;
  body.copy(adu, MBAP_LENGTH);
  return adu;
}
