/**
 * Reaction latency: a greenhouse simulator in this process, a gateway polling it every 25 ms and an
 * in-code agent that switches the fan coil whenever the temperature crosses 25 degC. The bench flips
 * the temperature register in the simulator's bank and measures, per flip:
 *
 * - served → write: from the simulator serving the first poll that carries the new value (a wrapper
 *   on the bank's getWords for input registers) to the coil write arriving in the simulator's bank
 *   (bank.onWrite). Covers loopback TCP twice, Modbus client parsing, decoding, the hot path, the
 *   agent's decision, the actuation path (permissions, envelope, audit) and the write request.
 * - deliver → write: from the batch reaching the agent runtime (a wrapper on gateway.agents.deliver,
 *   i.e. right after decode, live values, history append and state publish) to the coil write.
 *
 * The time spent waiting for the next poll is not counted: it is the poll interval's choice.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent } from "../src/agents/agent.js";
import { loadConfigValue } from "../src/config/load.js";
import type { Reading } from "../src/core/types.js";
import { buildGateway } from "../src/gateway.js";
import { startModbusSimulator } from "../simulators/modbus/simulator.js";
import { round, sleep } from "./result.js";

export interface ReactionReport {
  samples: number;
  timeouts: number;
  pollMs: number;
  servedToWrite: Stats;
  deliverToWrite: Stats;
}
export interface Stats {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

function stats(ms: number[]): Stats {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
  return { p50: round(q(50), 3), p90: round(q(90), 3), p99: round(q(99), 3), max: round(s[s.length - 1] ?? NaN, 3), mean: round(s.reduce((a, b) => a + b, 0) / s.length, 3) };
}

export async function benchReaction(o: { samples?: number; pollMs?: number } = {}): Promise<ReactionReport> {
  const samples = o.samples ?? 250;
  const pollMs = o.pollMs ?? 25;
  const THRESHOLD = 25;
  // the model never steps during the bench: the bench alone moves the temperature
  const sim = await startModbusSimulator({ transport: "tcp", port: 0, model: "greenhouse", unitIds: [1], tickMs: 3_600_000 });
  const bank = sim.bank(1);
  const dir = mkdtempSync(join(tmpdir(), "los-bench-reaction-"));
  let gateway: Awaited<ReturnType<typeof buildGateway>> | undefined;
  try {
    // temperature: input register 0, int16, scale 0.1 (devices/llmagentos/greenhouse-sim.yaml)
    // The greenhouse model republishes its own state into the bank after every client write; a
    // listener registered after the model's puts the bench's temperature back at once.
    let temperature = 20;
    const setTemperature = (degC: number) => bank.writeValue("input", 0, "int16", Math.round((temperature = degC) * 10));
    bank.onWrite(() => setTemperature(temperature));
    setTemperature(20);
    bank.clientWrite("coil", 1, [0]);

    const config = loadConfigValue(
      {
        site: "bench",
        gateway: "gw1",
        dataDir: join(dir, "data"),
        bus: { listeners: [{ kind: "tcp", host: "127.0.0.1", port: 0, allowAnonymous: true }] },
        safeOnShutdown: false,
        tenants: [{ id: "growers" }],
        devices: [
          {
            id: "gh1",
            tenant: "growers",
            profile: "llmagentos/greenhouse-sim",
            connection: { type: "modbus-tcp", host: "127.0.0.1", port: sim.port, unitId: 1, timeoutMs: 500 },
            pollMs,
          },
        ],
      },
      dir,
      "<bench reaction config>",
    );
    gateway = await buildGateway(config);

    // probes: t_served (simulator serves a poll carrying the new value), t_deliver, t_write
    let expect: number | undefined; // raw temperature value we wait for
    let tServed: number | undefined;
    let tDeliver: number | undefined;
    let onCoil: ((t: number) => void) | undefined;
    const getWords = bank.getWords.bind(bank);
    bank.getWords = (kind, address, count) => {
      if (kind === "input" && address === 0 && expect !== undefined && tServed === undefined && bank.getWord("input", 0) === expect) tServed = performance.now();
      return getWords(kind, address, count);
    };
    bank.onWrite((kind, address) => {
      if (kind === "coil" && address === 1) onCoil?.(performance.now());
    });
    const runtime = gateway.agents;
    const deliver = runtime.deliver.bind(runtime);
    const trace: string[] = [];
    runtime.deliver = (readings: readonly Reading[]) => {
      if (process.env.BENCH_DEBUG) for (const r of readings) trace.push(`${performance.now().toFixed(1)} ${r.point}=${String(r.value)}`);
      if (expect !== undefined && tDeliver === undefined) {
        for (const r of readings) if (r.point === "gh1/temperature" && typeof r.value === "number" && Math.round(r.value * 10) === expect) tDeliver = performance.now();
      }
      deliver(readings);
    };

    let fan = false;
    const agent = new Agent("reactor", { tenant: "growers", capabilities: { read: ["gh1/temperature"], write: ["gh1/fan"] }, register: false }).onDecide(
      async (p, ctx) => {
        for (const r of p.readings) {
          if (r.point !== "gh1/temperature" || typeof r.value !== "number") continue;
          const want = r.value > THRESHOLD;
          if (want !== fan) {
            fan = want;
            await ctx.actuate("gh1/fan", want, `temperature ${r.value} degC ${want ? "above" : "below"} ${THRESHOLD}`);
          }
        }
      },
    );
    // one actuation per flip, ≈ 25 flips a second: far above the default limits.actuationsPerMinute
    // (120), which would refuse every flip after the first 120 and count them as timeouts
    gateway.addAgent(agent, { limits: { actuationsPerMinute: 60_000 } });
    await sleep(300); // first polls, agent started

    const served: number[] = [];
    const delivered: number[] = [];
    let timeouts = 0;
    const WARMUP = 6; // first flips load and optimise the actuation path; not counted
    for (let i = -WARMUP; i < samples; i++) {
      // random phase relative to the poll timer
      await sleep(Math.random() * pollMs);
      const hot = (i + WARMUP) % 2 === 0;
      const raw = hot ? 300 : 200;
      tServed = undefined;
      tDeliver = undefined;
      const wrote = new Promise<number | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), 2000);
        onCoil = (t) => {
          clearTimeout(timer);
          resolve(t);
        };
      });
      expect = raw;
      setTemperature(raw / 10);
      const tWrite = await wrote;
      onCoil = undefined;
      expect = undefined;
      if (tWrite === undefined || tServed === undefined || tDeliver === undefined) {
        timeouts++;
        if (process.env.BENCH_DEBUG) console.error({ i, tWrite, tServed, tDeliver, coil: bank.getBit("coil", 1), fan, trace: trace.slice(-6), stats: gateway.devices.stats() });
        fan = bank.getBit("coil", 1);
        continue;
      }
      if (i < 0) continue;
      served.push(tWrite - tServed);
      delivered.push(tWrite - tDeliver);
    }
    return { samples: served.length, timeouts, pollMs, servedToWrite: stats(served), deliverToWrite: stats(delivered) };
  } finally {
    await gateway?.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchReaction({ samples: Number(process.argv[2] ?? 250) }), null, 2));
}
