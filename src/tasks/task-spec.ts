/**
 * Checking a TaskSpec from code, the CLI, MQTT or an agent and turning it into a TaskRecord with the
 * gateway's defaults. Every refusal is LOS_E_TASK_INVALID naming the field (docs/tasks.md).
 */
import { randomUUID } from "node:crypto";
import { LosError } from "../core/errors.js";
import type { Allocation, AuctionOptions, NegotiationOptions, TaskRecord, TaskSpec } from "../core/task-types.js";
import type { TaskDefaults } from "./task-defaults.js";

const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const TENANT = /^[A-Za-z0-9_-]{1,64}$/;
const SPEC_KEYS = new Set(["id", "type", "requires", "params", "priority", "deadline", "tenant", "allocation", "assignee", "auction", "negotiation", "leaseMs", "retries"]);
const AUCTION_KEYS = new Set(["objective", "rule", "bidWindowMs", "reserve", "confirmMs", "maxRounds"]);
const NEGOTIATION_KEYS = new Set(["maxRounds", "minPart"]);
const ALLOCATIONS: readonly Allocation[] = ["direct", "auction", "negotiation"];
/** params travel in every call for proposals: keep them small */
const MAX_PARAMS_BYTES = 16 * 1024;
const MAX_REQUIRES = 32;
/** a run that keeps failing on every agent is a bug in the task, not bad luck */
const MAX_RETRIES = 10;

function invalid(field: string, message: string): never {
  throw new LosError("LOS_E_TASK_INVALID", `task ${field}: ${message}`, { details: { field } });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function onlyKeys(o: Record<string, unknown>, known: ReadonlySet<string>, where: string): void {
  for (const k of Object.keys(o)) if (!known.has(k)) invalid(where ? `${where}.${k}` : k, "unknown field");
}

function name(v: unknown, field: string): string {
  if (typeof v !== "string" || !NAME.test(v)) invalid(field, "must be 1-64 letters, digits, . _ or -");
  return v;
}

function intIn(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) invalid(field, `must be an integer from ${min} to ${max}`);
  return v;
}

function auctionOptions(v: unknown, base: AuctionOptions): AuctionOptions {
  if (v === undefined) return { ...base };
  if (!isObject(v)) invalid("auction", "must be an object");
  onlyKeys(v, AUCTION_KEYS, "auction");
  const out: AuctionOptions = { ...base };
  if (v.objective !== undefined) {
    if (v.objective !== "max" && v.objective !== "min") invalid("auction.objective", 'must be "max" or "min"');
    out.objective = v.objective;
  }
  if (v.rule !== undefined) {
    if (v.rule !== "first-price" && v.rule !== "second-price") invalid("auction.rule", 'must be "first-price" or "second-price"');
    out.rule = v.rule;
  }
  if (v.bidWindowMs !== undefined) out.bidWindowMs = intIn(v.bidWindowMs, "auction.bidWindowMs", 10, 600_000);
  if (v.confirmMs !== undefined) out.confirmMs = intIn(v.confirmMs, "auction.confirmMs", 10, 600_000);
  if (v.maxRounds !== undefined) out.maxRounds = intIn(v.maxRounds, "auction.maxRounds", 1, 100);
  if (v.reserve !== undefined) {
    if (typeof v.reserve !== "number" || !Number.isFinite(v.reserve)) invalid("auction.reserve", "must be a finite number");
    out.reserve = v.reserve;
  }
  return out;
}

function negotiationOptions(v: unknown, base: NegotiationOptions): NegotiationOptions {
  if (v === undefined) return { ...base };
  if (!isObject(v)) invalid("negotiation", "must be an object");
  onlyKeys(v, NEGOTIATION_KEYS, "negotiation");
  const out: NegotiationOptions = { ...base };
  if (v.maxRounds !== undefined) out.maxRounds = intIn(v.maxRounds, "negotiation.maxRounds", 1, 100);
  if (v.minPart !== undefined) {
    if (typeof v.minPart !== "number" || !Number.isFinite(v.minPart) || v.minPart <= 0) invalid("negotiation.minPart", "must be a positive number");
    out.minPart = v.minPart;
  }
  return out;
}

function params(v: unknown): Record<string, unknown> {
  if (v === undefined) return {};
  if (!isObject(v)) invalid("params", "must be a JSON object");
  let text: string;
  try {
    text = JSON.stringify(v);
  } catch {
    invalid("params", "must be JSON (no cycles, no BigInt)");
  }
  if (Buffer.byteLength(text, "utf8") > MAX_PARAMS_BYTES) invalid("params", `must be at most ${MAX_PARAMS_BYTES} bytes of JSON`);
  return JSON.parse(text) as Record<string, unknown>;
}

export interface SpecContext {
  now: number;
  defaults: TaskDefaults;
  createdBy: string;
}

/** Check `spec` (any value: it may come off the wire) and build the pending TaskRecord. */
export function taskRecordFromSpec(spec: unknown, ctx: SpecContext): TaskRecord {
  if (!isObject(spec)) invalid("spec", "must be an object");
  onlyKeys(spec, SPEC_KEYS, "");
  const s = spec as Partial<Record<keyof TaskSpec, unknown>>;
  const type = name(s.type, "type");
  const id = s.id === undefined ? randomUUID() : name(s.id, "id");
  let requires: string[] = [];
  if (s.requires !== undefined) {
    if (!Array.isArray(s.requires) || s.requires.length > MAX_REQUIRES) invalid("requires", `must be a list of at most ${MAX_REQUIRES} skills`);
    requires = [...new Set(s.requires.map((r, i) => name(r, `requires[${i}]`)))];
  }
  const priority = s.priority === undefined ? ctx.defaults.priority : intIn(s.priority, "priority", 0, 9);
  if (s.deadline !== undefined && (typeof s.deadline !== "number" || !Number.isFinite(s.deadline) || s.deadline <= ctx.now)) {
    invalid("deadline", "must be a time in the future (ms since the epoch, gateway clock)");
  }
  if (s.tenant !== undefined && (typeof s.tenant !== "string" || !TENANT.test(s.tenant))) invalid("tenant", "must be a tenant id");
  if (s.allocation !== undefined && !ALLOCATIONS.includes(s.allocation as Allocation)) invalid("allocation", 'must be "direct", "auction" or "negotiation"');
  if (s.assignee !== undefined && (typeof s.assignee !== "string" || !TENANT.test(s.assignee))) invalid("assignee", "must be an agent id");
  const allocation = (s.allocation as Allocation | undefined) ?? (s.assignee !== undefined ? "direct" : "auction");
  if (allocation === "direct" && s.assignee === undefined) invalid("assignee", "is required with allocation direct");
  if (allocation !== "direct" && s.assignee !== undefined) invalid("assignee", "is only allowed with allocation direct");
  const p = params(s.params);
  if (allocation === "negotiation" && (typeof p.amount !== "number" || !Number.isFinite(p.amount) || p.amount <= 0)) {
    invalid("params.amount", "must be a positive number with allocation negotiation (the amount to split)");
  }
  if (allocation !== "negotiation" && s.negotiation !== undefined) invalid("negotiation", "is only allowed with allocation negotiation");
  const leaseMs = s.leaseMs === undefined ? (ctx.defaults.leaseMs ?? 0) : intIn(s.leaseMs, "leaseMs", 100, 3_600_000);
  const retries = s.retries === undefined ? 0 : intIn(s.retries, "retries", 0, MAX_RETRIES);
  const record: TaskRecord = {
    id,
    type,
    requires,
    params: p,
    priority,
    allocation,
    auction: auctionOptions(s.auction, ctx.defaults.auction),
    negotiation: negotiationOptions(s.negotiation, ctx.defaults.negotiation),
    leaseMs,
    state: "pending",
    createdBy: ctx.createdBy,
    createdAt: ctx.now,
    updatedAt: ctx.now,
    attempt: 0,
    round: 0,
    excluded: [],
  };
  if (retries > 0) record.retries = retries;
  if (s.deadline !== undefined) record.deadline = s.deadline as number;
  if (s.tenant !== undefined) record.tenant = s.tenant as string;
  if (s.assignee !== undefined) record.assignee = s.assignee as string;
  return record;
}
