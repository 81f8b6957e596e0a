/**
 * The Driver contract: one driver per connection (a TCP peer, a serial bus), shared by every device
 * (unit id) reached through it. Reads are batched: the caller passes the blocks of a read plan and
 * gets one result per block, so one failing block does not hide the others. Drivers never throw from
 * timers: a lost connection becomes a health change, background reconnects with backoff, and coded
 * errors (src/core/errors.ts) on the requests that could not be served.
 */
import type { ErrorCode, LosError } from "../core/errors.js";
import type { Value } from "../core/types.js";
import type { CodecPoint } from "./codec.js";
import type { ReadBlock } from "./modbus/read-plan.js";

export type BlockData = boolean[] | number[];

/** Outcome of one block read: data (bits for coils/discretes, words for registers) or the error. */
export type BlockResult = { ok: true; data: BlockData; latencyMs: number } | { ok: false; error: LosError };

export interface DriverError {
  code: ErrorCode;
  message: string;
  /** epoch ms */
  ts: number;
}

export interface DriverHealth {
  connected: boolean;
  lastError?: DriverError;
  /** duration of the last successful request */
  latencyMs?: number;
  /** requests sent on the wire */
  requests: number;
  /** requests that failed (including ones refused while disconnected) */
  failures: number;
  reconnects: number;
  /** polls dropped / coalesced by the request queue */
  dropped: number;
  coalesced: number;
  queued: number;
}

export interface ReadOptions {
  /** coalescing: an identical poll already waiting in the queue is shared */
  coalesce?: boolean;
}

export interface Driver {
  /** the connection key (`tcp://host:port`, `rtu:///dev/ttyUSB0`) */
  readonly key: string;
  /**
   * Connect. Resolves once the first attempt has settled, connected or not: a device that is off at
   * start must not stop the gateway; failures show in health() and retries continue with backoff.
   * Aborting the signal closes the driver.
   */
  open(signal?: AbortSignal): Promise<void>;
  /** Stop reconnecting, reject queued requests with LOS_E_DRIVER_CLOSED, release the port. */
  close(): Promise<void>;
  /** Read blocks from one unit id through the queue (polls), one result per block. */
  read(unitId: number, blocks: readonly ReadBlock[], options?: ReadOptions): Promise<BlockResult[]>;
  /** Encode and write one point (ahead of queued polls). Rejects with a coded error. */
  write(unitId: number, point: CodecPoint, value: Value): Promise<void>;
  health(): DriverHealth;
}
