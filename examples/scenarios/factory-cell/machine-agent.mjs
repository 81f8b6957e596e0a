// A machine agent of the factory-cell scenario (docs/scenarios.md). It bids on "machine-part" jobs
// with its expected completion time (objective min: the earliest finish wins): the jobs it already
// holds times its cycle time, plus what is left of the current cycle, plus the belt's travel to its
// station. Awarded, it runs its jobs one at a time: it asks the conveyor agent for a part (a direct
// "convey" task), waits until the part stands at its station on a stopped belt, loads it, starts the
// cycle and waits for the part counter. A machine in fault does not bid.
//
// When its machine faults in the middle of a job the agent gives up and ends itself (settings
// `exitOnFault`, in a worker only): the gateway sees the agent go, releases its leases and announces
// the job again to the other machines; the supervisor restarts the agent, which then stays out of
// the bidding while its machine is in fault.
//
// With `impatient: true` the agent first tries to jog the conveyor itself on its first job; the
// conveyor agent holds the belt's lease, so the write is refused with LOS_E_LEASE_CONFLICT (and
// audited), and the agent asks the conveyor agent as it should.
//
// settings: { machine: 1..3, device?: "cell", speedMmS?: 500, stationMm?: 1000 * machine,
//             exitOnFault?: boolean, impatient?: boolean, conveyor?: "conveyor" }
import { isMainThread } from "node:worker_threads";
import { until } from "../wait.mjs";

const STATE = ["idle", "loaded", "busy", "fault"];

export function createAgent(id, options) {
  const { Agent, settings = {} } = options;
  const m = Number(settings.machine);
  if (![1, 2, 3].includes(m)) throw new Error(`${id}: settings.machine must be 1, 2 or 3`);
  const device = settings.device ?? "cell";
  const conveyor = settings.conveyor ?? "conveyor";
  const agent = new Agent(id, options);
  const point = (name) => `${device}/${name}`;
  const mine = (name) => point(`m${m}_${name}`);
  /** jobs awarded and not finished */
  const held = new Set();
  let line = Promise.resolve();
  let jogged = !settings.impatient;

  const state = (ctx) => STATE[Number(ctx.value(mine("state")))] ?? "unknown";
  const num = (ctx, p) => Number(ctx.value(p) ?? 0);

  agent.onCallForProposals((cfp, ctx) => {
    if (cfp.type !== "machine-part") return undefined;
    const s = state(ctx);
    if (s === "fault" || s === "unknown" || ctx.value(mine("fault_trip")) === true) return undefined;
    const cycleS = num(ctx, mine("cycle_time"));
    const leftS = s === "busy" ? (cycleS * (100 - num(ctx, mine("progress")))) / 100 : 0;
    const travelS = (settings.stationMm ?? 1000 * m) / (settings.speedMmS ?? 500);
    const cost = held.size * cycleS + leftS + cycleS + travelS;
    return { value: Math.round(cost * 100) / 100, note: `m${m}: ${held.size} job(s) ahead, ${cycleS} s cycle` };
  });

  agent.onAward((award) => {
    held.add(award.taskId);
    return { accept: true };
  });

  async function machine(run, ctx) {
    const wait = { timeoutMs: Number(run.params.timeoutMs ?? 30_000) };
    if (!jogged) {
      jogged = true;
      const r = await ctx.actuate(point("conveyor_motor"), true, `m${m} wants its part sooner`);
      await ctx.publish("conflict", { ok: r.ok, code: r.ok ? undefined : r.code, message: r.ok ? undefined : r.message });
    }
    const ordered = await ctx.createTask({
      id: `${run.taskId}-to-m${m}`,
      type: "convey",
      allocation: "direct",
      assignee: conveyor,
      priority: 6,
      params: { station: m, for: run.taskId, timeoutMs: wait.timeoutMs },
    });
    if (!ordered.ok && ordered.code !== "LOS_E_TASK_DUPLICATE") throw new Error(`no part ordered: ${ordered.code}: ${ordered.message}`);
    await until(ctx, `a part at station ${m}`, () => (ctx.value(point(`part_at_m${m}`)) === true && ctx.value(point("conveyor_motor")) === false) || state(ctx) === "fault", wait);
    faultCheck(ctx, run);
    const doneBefore = num(ctx, mine("done"));
    await write(ctx, "load", `job ${run.params.job ?? run.taskId}`);
    await until(ctx, "the part loaded", () => state(ctx) === "loaded" || state(ctx) === "fault", wait);
    faultCheck(ctx, run);
    await write(ctx, "start", `job ${run.params.job ?? run.taskId}`);
    await until(ctx, "the cycle to end", () => num(ctx, mine("done")) > doneBefore || state(ctx) === "fault", wait);
    faultCheck(ctx, run);
    return { machine: m, job: run.params.job, cycleS: num(ctx, mine("cycle_time")), partsDone: num(ctx, mine("done")) };
  }

  function faultCheck(ctx, run) {
    if (state(ctx) !== "fault") return;
    ctx.log.error({ task: run.taskId, machine: m }, `machine ${m} faulted during ${run.taskId}`);
    if (settings.exitOnFault && !isMainThread) process.exit(70); // a worker thread ends alone; the gateway re-announces
    throw new Error(`machine ${m} is in fault`);
  }

  async function write(ctx, name, reason) {
    const r = await ctx.actuate(mine(name), true, reason);
    if (!r.ok) throw new Error(`${mine(name)}: ${r.code}: ${r.message}`);
  }

  agent.onTask("machine-part", (run, ctx) => {
    const turn = line.then(() => machine(run, ctx)).finally(() => held.delete(run.taskId));
    line = turn.catch(() => undefined);
    return turn;
  });
  return agent;
}
