// An appliance agent of the demand-response scenario (docs/scenarios.md). It bids to shed load on
// "shed-load" negotiations: how many kW it can give up for the event window and its price per kW,
// both from the state of its appliance. Far from its comfort limit it is cheap; close to it, dear;
// past it, it does not bid. Awarded, it holds a lease on its actuator, turns the appliance down for
// the window (ctx.actuate inside the run: the writes carry idempotency keys), then restores it.
//
// settings: { appliance: "water-heater" | "hvac" | "ev" | "pool-pump" | "freezer", device: "house" }
import { pause } from "../wait.mjs";

// What each appliance knows about itself: its actuator, how it draws, how its comfort drifts while
// shed (the same physics as the simulator's datasheet values), and its prices.
const APPLIANCES = {
  "water-heater": {
    point: "water_heater",
    power: "water_heater_power",
    // a 200 l tank loses about 1.2 mK/s to hot-water use while the element is off; 45 degC minimum
    comfort: (v, windowS) => ({ signal: "tank_temperature", value: v("tank_temperature"), margin: v("tank_temperature") - 0.0012 * windowS - 45 }),
    price: (margin) => 0.02 + 0.5 / Math.max(margin, 0.1),
    shed: () => [{ to: false, kw: (v) => v("water_heater_power") }],
  },
  hvac: {
    point: "hvac",
    power: "hvac_power",
    // the room drifts towards the outside with a 1 h time constant; 26 degC maximum
    comfort: (v, windowS) => {
      const room = v("room_temperature");
      const outside = v("outside_temperature");
      const end = outside + (room - outside) * Math.exp(-windowS / 3600);
      return { signal: "room_temperature", value: room, margin: 26 - end };
    },
    price: (margin) => 0.15 + 0.6 / Math.max(margin, 0.1),
    // occupants come first: the HVAC sheds only when the coordinator's counter-offer pays its price
    reluctant: true,
    shed: () => [{ to: false, kw: (v) => v("hvac_power") }],
  },
  ev: {
    point: "ev_current",
    power: "ev_power",
    // the car needs 80 % by its departure in 6 h at most 32 A; the margin is the spare charging time, h
    comfort: (v, windowS) => {
      const soc = v("ev_soc");
      const needH = (((80 - soc) / 100) * 60) / (0.9 * 32 * 0.23);
      return { signal: "ev_soc", value: soc, margin: 6 - windowS / 3600 - needH };
    },
    price: (margin) => 0.06 + 0.3 / Math.max(margin, 0.1),
    // the charger can go down in steps: half first, the rest only at a better price (see bid)
    shed: () => [],
  },
  "pool-pump": {
    point: "pool_pump",
    power: "pool_pump_power",
    // 6 h of filtration a day; the margin is the hours left in the day beyond what is still needed
    comfort: (v, windowS) => ({ signal: "pool_filtered_hours", value: v("pool_filtered_hours"), margin: 10 - windowS / 3600 - Math.max(0, 6 - v("pool_filtered_hours")) }),
    price: (margin) => 0.03 + 0.05 / Math.max(margin, 0.1),
    shed: () => [{ to: false, kw: (v) => v("pool_pump_power") }],
  },
  freezer: {
    point: "freezer",
    power: "freezer_power",
    // a stopped freezer warms about 2.5 K/h; -15 degC maximum
    comfort: (v, windowS) => ({ signal: "freezer_temperature", value: v("freezer_temperature"), margin: -15 - (v("freezer_temperature") + 0.0007 * windowS) }),
    price: (margin) => 0.4 + 1 / Math.max(margin, 0.1),
    shed: () => [{ to: false, kw: (v) => v("freezer_power") }],
  },
};

const EV = { kwPerA: 0.23, maxA: 32, minA: 6 };

export function createAgent(id, options) {
  const { Agent, settings = {} } = options;
  const spec = APPLIANCES[settings.appliance];
  if (!spec) throw new Error(`${id}: settings.appliance must be one of ${Object.keys(APPLIANCES).join(", ")}`);
  const device = settings.device ?? "house";
  const agent = new Agent(id, { ...options, skills: ["load-control"] });
  const v = (ctx) => (name) => {
    const value = ctx.value(`${device}/${name}`);
    return typeof value === "number" ? value : Number.NaN;
  };
  /** kW this agent has already committed to the task (negotiation parts merge across rounds) */
  const committed = new Map();

  /** What the appliance can give up now: [{ kw, price }] from cheapest, each a step further down. */
  function offers(ctx, windowS, counterPrice) {
    const read = v(ctx);
    const comfort = spec.comfort(read, windowS);
    if (!(comfort.margin > 0)) return [];
    const price = spec.price(comfort.margin);
    if (settings.appliance === "ev") {
      const kw = read("ev_power");
      if (!(kw > 0)) return [];
      // half of the charging power at the comfort price, the rest at twice that
      return [{ kw: kw / 2, price }, { kw: kw / 2, price: 2 * price }].filter((o) => o.price <= (counterPrice ?? price));
    }
    if (spec.reluctant && !(counterPrice >= price)) return [];
    const kw = read(spec.power);
    return kw > 0 ? [{ kw, price }] : [];
  }

  agent.onCallForProposals((cfp, ctx) => {
    if (cfp.type !== "shed-load") return undefined;
    const windowS = Number(cfp.params.windowS ?? 900);
    const already = committed.get(cfp.taskId) ?? 0;
    // offer the steps not yet committed; a counter-proposal may unlock a dearer step
    let left = already;
    const steps = [];
    for (const o of offers(ctx, windowS, cfp.counterPrice)) {
      const taken = Math.min(left, o.kw);
      left -= taken;
      if (o.kw - taken > 1e-3) steps.push({ kw: o.kw - taken, price: o.price });
    }
    if (steps.length === 0) return undefined;
    const kw = steps.reduce((s, o) => s + o.kw, 0);
    const price = steps.reduce((s, o) => s + o.kw * o.price, 0) / kw;
    return { value: round(price, 4), quantity: round(Math.min(kw, cfp.quantity ?? kw), 3), note: `${settings.appliance}: ${round(kw, 2)} kW` };
  });

  agent.onAward((award) => {
    committed.set(award.taskId, award.quantity ?? 0);
    return { accept: true };
  });

  agent.onTask("shed-load", async (run, ctx) => {
    const point = `${device}/${spec.point}`;
    const windowMs = Number(run.params.windowMs ?? 1000);
    const quantity = run.quantity ?? 0;
    const lease = await ctx.lease(point, windowMs + 2000);
    if (!lease.ok) throw new Error(`${point}: no lease (${lease.code}: ${lease.message})`);
    const read = v(ctx);
    const before = read(spec.power);
    const restore = ctx.value(point);
    let target;
    if (settings.appliance === "ev") {
      const amps = Math.ceil(quantity / EV.kwPerA - 1e-9);
      target = Math.max(0, EV.maxA - amps);
      if (target < EV.minA) target = 0; // the charger pauses under 6 A anyway
    } else {
      target = spec.shed()[0].to;
    }
    try {
      const off = await ctx.actuate(point, target, `demand response ${run.taskId}: shed ${round(quantity, 2)} kW`);
      if (!off.ok) throw new Error(`${point}: ${off.code}: ${off.message}`);
      await pause(ctx, windowMs);
    } finally {
      // back to how it was, whatever happened (the lease keeps the others off it until then)
      if (restore !== undefined) await ctx.actuate(point, restore, `demand response ${run.taskId}: window over`);
      await ctx.release(point);
      committed.delete(run.taskId);
    }
    const comfort = spec.comfort(v(ctx), 0);
    return { appliance: settings.appliance, point, setTo: target, drewKw: round(before, 3), committedKw: round(quantity, 3), comfort: { [comfort.signal]: round(comfort.value, 2) } };
  });
  return agent;
}

function round(x, digits) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
