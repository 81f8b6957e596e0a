import { ManualClock } from "../../src/core/clock.js";
import { LiveValues } from "../../src/core/live-values.js";
import type { AgentStatusPayload } from "../../src/core/topics.js";
import { silentLogger, type Actor, type Reading, type Value } from "../../src/core/types.js";
import type { ActuationResult } from "../../src/devices/actuation.js";
import { AgentRuntime, type RuntimeDeps } from "../../src/agents/runtime.js";

export const T0 = Date.UTC(2026, 0, 1);

export interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}
export function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((res) => (resolve = res));
  return { promise, resolve };
}

/**
 * An agent runtime on a manual clock whose actuations succeed and show up in the live values at
 * once (as if the device applied them); `refuse` makes chosen points refuse like the envelope would.
 */
export function harness(extra: Partial<RuntimeDeps> = {}) {
  const clock = new ManualClock(T0);
  const live = new LiveValues();
  const actuations: { actor: Actor; point: string; value: Value; reason: string }[] = [];
  const published: { agent: string; sub: string; payload: unknown }[] = [];
  const statuses: { agent: string; status: AgentStatusPayload }[] = [];
  const failed: string[] = [];
  const refuse = new Set<string>();
  let auditId = 0;
  const runtime = new AgentRuntime({
    clock,
    live,
    logger: silentLogger,
    actuate: async (actor, point, value, reason): Promise<ActuationResult> => {
      actuations.push({ actor, point, value, reason });
      if (refuse.has(point)) return { ok: false, auditId: ++auditId, point, code: "LOS_E_WRITE_INTERLOCK", message: "refused in test" };
      live.update([{ point, value, ts: clock.now(), quality: "good" }]);
      return { ok: true, auditId: ++auditId, point, value };
    },
    publish: async (agent, sub, payload) => {
      published.push({ agent, sub, payload });
    },
    onStatus: (agent, status) => statuses.push({ agent, status }),
    onFailed: (agent) => failed.push(agent.id),
    ...extra,
  });
  /** What the gateway does with a poll result: update live values, then deliver; wait until agents are idle. */
  const feed = async (...readings: Reading[]) => {
    live.update(readings);
    runtime.deliver(readings);
    await runtime.settled();
  };
  const good = (point: string, value: Value): Reading => ({ point, value, ts: clock.now(), quality: "good" });
  const bad = (point: string): Reading => ({ point, value: null, ts: clock.now(), quality: "bad", error: "LOS_E_DEVICE_TIMEOUT" });
  return { clock, live, runtime, actuations, published, statuses, failed, refuse, feed, good, bad };
}
