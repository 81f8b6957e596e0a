// The conveyor agent of the factory-cell scenario (docs/scenarios.md). It alone drives the belt:
// from its start it holds leases on the conveyor motor, the stop target and the infeed release
// (renewed by its heartbeat), so any other agent that tries to run the belt gets
// LOS_E_LEASE_CONFLICT instead of a fight. It takes "convey" tasks (given to it directly by the
// machine agents): release a raw part, run the belt to the machine's station (the belt stops itself
// there), and wait until the machine has taken the part before the next delivery. Deliveries run one
// at a time, in the order they arrive.
//
// settings: { device?: "cell", leaseMs?: number, stations?: number }
import { until } from "../wait.mjs";

const BELT_POINTS = ["conveyor_motor", "conveyor_target", "infeed_release"];

export function createAgent(id, options) {
  const { Agent, settings = {} } = options;
  const device = settings.device ?? "cell";
  const leaseMs = settings.leaseMs ?? 10_000;
  const stations = settings.stations ?? 3;
  const agent = new Agent(id, options);
  const point = (name) => `${device}/${name}`;
  let line = Promise.resolve();

  async function holdBelt(ctx) {
    for (const name of BELT_POINTS) {
      const r = await ctx.lease(point(name), leaseMs);
      if (!r.ok) throw new Error(`${point(name)}: no lease (${r.code}: ${r.message})`);
    }
  }

  agent.onDecide(async (perception, ctx) => {
    if (perception.trigger === "start") await holdBelt(ctx);
  });

  async function deliver(run, ctx) {
    const station = Number(run.params.station);
    if (!Number.isInteger(station) || station < 1 || station > stations) throw new Error(`params.station must be 1..${stations}, got ${run.params.station}`);
    await holdBelt(ctx); // renews the leases (a restarted agent takes them again)
    const v = (name) => ctx.value(point(name));
    const opts = { timeoutMs: Number(run.params.timeoutMs ?? 20_000) };
    let restart = false;
    await until(ctx, "a stopped belt with the infeed clear", () => v("conveyor_motor") === false && v("part_at_infeed") === false, opts);
    const released = Number(v("parts_released") ?? 0);
    await write(ctx, "infeed_release", true, `part for station ${station} (${run.params.for ?? run.taskId})`);
    await until(ctx, "the part on the belt", () => Number(v("parts_released")) > released, opts);
    const lost = Number(v("parts_lost") ?? 0);
    await write(ctx, "conveyor_target", station, `stop at station ${station}`);
    await write(ctx, "conveyor_motor", true, `carry the part to station ${station}`);
    // a belt stopped short (the lease lapsed under load and the gateway put the motor to its safe
    // value) is taken back and started again
    await until(ctx, `the part at station ${station}`, () => {
      if (v(`part_at_m${station}`) === true && v("conveyor_motor") === false) return true;
      // the machine, waiting for it, may load the part before this agent's next look (a slow
      // thread under load): an empty belt with no part lost means it arrived and was taken
      if (Number(v("parts_on_belt")) === 0 && v("conveyor_motor") === false && Number(v("parts_lost") ?? 0) === lost) return true;
      if (v("conveyor_motor") === false && v("conveyor_target") !== station) restart = true;
      return false;
    }, { ...opts, onIdle: async () => {
      if (!restart) return;
      restart = false;
      await holdBelt(ctx);
      await write(ctx, "conveyor_target", station, `stop at station ${station} (again)`);
      await write(ctx, "conveyor_motor", true, `carry the part to station ${station} (again)`);
    } });
    // the next part may leave only when this one is in its machine (it would ride along otherwise)
    await until(ctx, `station ${station} cleared by its machine`, () => v(`part_at_m${station}`) === false, opts);
    return { station, part: released + 1 };
  }

  async function write(ctx, name, value, reason) {
    const r = await ctx.actuate(point(name), value, reason);
    if (!r.ok) throw new Error(`${point(name)} := ${value}: ${r.code}: ${r.message}`);
  }

  agent.onTask("convey", (run, ctx) => {
    const turn = line.then(() => deliver(run, ctx));
    line = turn.catch(() => undefined);
    return turn;
  });
  return agent;
}
