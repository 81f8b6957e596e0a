/**
 * Faults of the OPC-UA simulator, each clearable:
 *
 * - `slow({ nodeId?, delayMs, count? })`: Read service responses that include the node (or any
 *   read, without `nodeId`) are held `delayMs` on the simulator's clock before they are answered
 *   (subscriptions are not delayed). With a ManualClock a test sees the read held
 *   (`stats().delayedReads`) and releases it with `clock.advance(delayMs)`.
 * - `badStatus(nodeId, status = "BadSensorFailure")`: the variable's value comes with that Bad
 *   status code (reads and subscriptions) until cleared.
 * - `removeNode(nodeId)` / `restoreNode(nodeId)`: the node leaves the address space (reads,
 *   writes and browses answer BadNodeIdUnknown; monitored items see it gone) and comes back.
 *
 * Restarting the whole server is `sim.restart()` on the simulator handle. `clear()` undoes every
 * fault. Node ids are given as `ns=1;s=Tank.Level` or `s=Tank.Level`.
 */
import { StatusCodes, type StatusCode } from "node-opcua";
import type { NodeTable } from "./node-table.js";
import { localId } from "./custom-variables.js";

export interface SlowFaultSpec {
  /** Only reads that include this node (default: every read). */
  nodeId?: string;
  /** How long to hold the response, ms of the simulator's clock. */
  delayMs: number;
  /** Only the next N matching reads (default: until cleared). */
  count?: number;
}

export interface OpcuaFaultHandle {
  readonly kind: "slow" | "badStatus" | "removeNode";
  /** Full node id, or undefined for a slow fault on every read. */
  readonly nodeId: string | undefined;
  /** Reads delayed so far (slow faults). */
  readonly applied: number;
  clear(): void;
}

interface SlowRule {
  key: string | undefined;
  delayMs: number;
  remaining: number | undefined;
  applied: number;
}

export class OpcuaFaults {
  readonly #table: NodeTable;
  readonly #ns: number;
  #slow: SlowRule[] = [];
  readonly #bad = new Map<string, StatusCode>();

  constructor(table: NodeTable, namespaceIndex: number) {
    this.#table = table;
    this.#ns = namespaceIndex;
  }

  slow(spec: SlowFaultSpec): OpcuaFaultHandle {
    if (!(spec.delayMs >= 0) || !Number.isFinite(spec.delayMs)) throw new RangeError(`delayMs must be a finite number >= 0, got ${spec.delayMs}`);
    if (spec.count !== undefined && (!Number.isInteger(spec.count) || spec.count < 1)) throw new RangeError(`count must be a positive integer, got ${spec.count}`);
    const key = spec.nodeId === undefined ? undefined : this.#key(spec.nodeId);
    const rule: SlowRule = { key, delayMs: spec.delayMs, remaining: spec.count, applied: 0 };
    this.#slow.push(rule);
    return {
      kind: "slow",
      nodeId: key,
      get applied() {
        return rule.applied;
      },
      clear: () => {
        this.#slow = this.#slow.filter((r) => r !== rule);
      },
    };
  }

  badStatus(nodeId: string, status: string | StatusCode = "BadSensorFailure"): OpcuaFaultHandle {
    const key = this.#key(nodeId);
    const code = typeof status === "string" ? statusByName(status) : status;
    if (!code.isBad()) throw new RangeError(`badStatus needs a Bad status code, got ${code.name}`);
    this.#bad.set(key, code);
    this.#table.setStatus(key, code);
    return { kind: "badStatus", nodeId: key, applied: 0, clear: () => this.clearBadStatus(nodeId) };
  }

  clearBadStatus(nodeId: string): void {
    const key = this.#key(nodeId);
    if (!this.#bad.delete(key)) return;
    this.#table.setStatus(key, undefined);
  }

  removeNode(nodeId: string): OpcuaFaultHandle {
    const key = this.#key(nodeId);
    this.#table.remove(key);
    return { kind: "removeNode", nodeId: key, applied: 0, clear: () => this.restoreNode(nodeId) };
  }

  restoreNode(nodeId: string): void {
    this.#table.restore(this.#key(nodeId));
  }

  /** Undo every fault: slow rules, bad statuses, removed nodes. */
  clear(): void {
    this.#slow = [];
    for (const key of [...this.#bad.keys()]) this.clearBadStatus(key);
    for (const key of this.#table.keys()) if (this.#table.isRemoved(key)) this.#table.restore(key);
  }

  /** The active faults, for logs and the CLI. */
  active(): { slow: { nodeId: string | undefined; delayMs: number; remaining: number | undefined }[]; badStatus: Record<string, string>; removed: string[] } {
    return {
      slow: this.#slow.map((r) => ({ nodeId: r.key, delayMs: r.delayMs, remaining: r.remaining })),
      badStatus: Object.fromEntries([...this.#bad].map(([k, s]) => [k, s.name])),
      removed: this.#table.keys().filter((k) => this.#table.isRemoved(k)),
    };
  }

  /** Called once per Read request with its node ids: how long to hold the answer (0: none). */
  takeReadDelay(keys: readonly string[]): number {
    for (let i = this.#slow.length - 1; i >= 0; i--) {
      const rule = this.#slow[i] as SlowRule;
      if (rule.key !== undefined && !keys.includes(rule.key)) continue;
      rule.applied++;
      if (rule.remaining !== undefined && --rule.remaining <= 0) this.#slow.splice(i, 1);
      return rule.delayMs;
    }
    return 0;
  }

  #key(nodeId: string): string {
    let key: string;
    try {
      key = `ns=${this.#ns};${localId(nodeId, this.#ns)}`;
    } catch {
      throw new RangeError(`node id "${nodeId}": expected ns=${this.#ns};s=<name>, ns=${this.#ns};i=<number> or s=<name>`);
    }
    if (!this.#table.has(key)) throw new RangeError(`the simulator has no node ${key}`);
    return key;
  }
}

function statusByName(name: string): StatusCode {
  const code = (StatusCodes as unknown as Record<string, StatusCode | undefined>)[name];
  if (!code) throw new RangeError(`unknown OPC-UA status code "${name}" (e.g. BadSensorFailure, BadCommunicationError, BadOutOfService)`);
  return code;
}
