import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Agent } from "../../src/agents/agent.js";
import { createAgentFromConfig } from "../../src/agents/from-config.js";
import { AgentRuntime } from "../../src/agents/runtime.js";
import type { AgentConfig } from "../../src/config/agent-schema.js";
import { loadConfig } from "../../src/config/load.js";
import { ManualClock } from "../../src/core/clock.js";
import { LiveValues } from "../../src/core/live-values.js";
import { compilePointPatterns } from "../../src/core/point-pattern.js";
import { silentLogger, type Value } from "../../src/core/types.js";
import { ActuationService } from "../../src/devices/actuation.js";
import { openStore, type Store } from "../../src/store/index.js";
import { FIXTURES } from "../config/helpers.js";
import { T0, harness } from "./helpers.js";

const moduleAgent = (file: string, options?: Record<string, unknown>): AgentConfig => ({
  id: "thr",
  tenant: "farm",
  everyMs: 500,
  capabilities: { read: ["gh1/t"], write: ["gh1/fan"] },
  policy: options ? { kind: "module", file, options } : { kind: "module", file },
});

describe("createAgentFromConfig", () => {
  it("builds band and rules agents with the config's identity, not in the default registry", async () => {
    const band = await createAgentFromConfig(
      { id: "b", tenant: "farm", everyMs: 1000, capabilities: { read: ["gh1/t"], write: ["gh1/heater"] }, policy: { kind: "band", point: "gh1/t", low: 1, high: 2, heat: "gh1/heater" } },
      FIXTURES,
    );
    expect(band).toBeInstanceOf(Agent);
    expect([band.id, band.tenant, band.everyMs]).toEqual(["b", "farm", 1000]);
    expect(band.capabilities.write).toEqual(["gh1/heater"]);
    const rules = await createAgentFromConfig({ id: "r", capabilities: {}, policy: { kind: "rules", rules: [{ when: "gh1/t > 1", then: { "gh1/fan": true } }] } }, FIXTURES);
    expect(rules.id).toBe("r");
  });

  it("a rules agent with a bad condition is LOS_E_AGENT_CONFIG", async () => {
    await expect(
      createAgentFromConfig({ id: "r", capabilities: {}, policy: { kind: "rules", rules: [{ when: "gh1/t >> 1", then: {} }] } }, FIXTURES),
    ).rejects.toMatchObject({ code: "LOS_E_AGENT_CONFIG" });
  });

  it("loads a module policy relative to the config dir and hands it its settings", async () => {
    const agent = await createAgentFromConfig(moduleAgent("agents/threshold-agent.ts", { point: "gh1/t", actuator: "gh1/fan", above: 25 }), FIXTURES);
    expect([agent.id, agent.tenant, agent.everyMs]).toEqual(["thr", "farm", 500]);
    const h = harness();
    h.live.update([h.good("gh1/fan", false)]);
    h.runtime.add(agent);
    h.runtime.start();
    await h.runtime.settled();
    await h.feed(h.good("gh1/t", 26));
    await h.feed(h.good("gh1/t", 27));
    await h.feed(h.good("gh1/t", 24));
    expect(h.actuations.map((a) => [a.point, a.value, a.reason])).toEqual([
      ["gh1/fan", true, "threshold 25"],
      ["gh1/fan", false, "threshold 25"],
    ]);
    expect(agent.history.map((r) => [r.action, r.params])).toEqual([
      ["switch", true],
      ["switch", false],
    ]);
  });

  it("an absolute module path works too", async () => {
    const agent = await createAgentFromConfig(moduleAgent(join(FIXTURES, "agents/threshold-agent.ts"), {}), "/nonexistent");
    expect(agent.id).toBe("thr");
  });

  it("a missing module, a module without createAgent, or one returning another agent is LOS_E_AGENT_CONFIG", async () => {
    const cases: [string, RegExp][] = [
      ["agents/missing.ts", /cannot load .*missing\.ts/],
      ["agents/no-factory.ts", /does not export createAgent/],
      ["agents/wrong-id.ts", /createAgent must return new Agent\("thr", options\)/],
    ];
    for (const [file, message] of cases) {
      const err = await createAgentFromConfig(moduleAgent(file), FIXTURES).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, file).toMatchObject({ code: "LOS_E_AGENT_CONFIG" });
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toContain('agent "thr"');
    }
  });
});

describe("config → agents → the single write path → audit (real store)", () => {
  let dir: string;
  let store: Store;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "los-agents-"));
  });
  afterEach(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the fixture config's band and rules agents actuate through the envelope and are audited", async () => {
    const loaded = loadConfig(join(FIXTURES, "gateway.yaml"));
    const clock = new ManualClock(T0);
    store = openStore({ dataDir: dir, clock, retention: false });
    const live = new LiveValues();
    const profiles = new Map(loaded.devices.map((d) => [d.id, d.profile]));
    const writes: string[] = [];
    const agents = await Promise.all((loaded.config.agents ?? []).map((a) => createAgentFromConfig(a, loaded.dir)));
    const writers = new Map(agents.map((a) => [a.id, compilePointPatterns(a.capabilities.write)]));
    const service = new ActuationService({
      clock,
      live,
      logger: silentLogger,
      audit: store.audit,
      devices: {
        point: (device, name) => profiles.get(device)?.points.find((p) => p.name === name),
        write: async (device, name, value: Value) => {
          writes.push(`${device}/${name}=${String(value)}`);
          live.update([{ point: `${device}/${name}`, value, ts: clock.now(), quality: "good" }]);
        },
      },
      canWrite: (actor, point) => actor.kind === "system" || (writers.get(actor.id)?.(point) ?? false),
    });
    const runtime = new AgentRuntime({
      clock,
      live,
      logger: silentLogger,
      actuate: (actor, point, value, reason) => service.actuate({ actor, point, value, reason }),
      publish: async () => {},
    });
    agents.forEach((a) => runtime.add(a));
    const feed = async (point: string, value: Value) => {
      const r = { point, value, ts: clock.now(), quality: "good" as const };
      live.update([r]);
      runtime.deliver([r]);
      await runtime.settled();
    };
    await feed("gh1/heater", false);
    await feed("gh1/fan", false);
    await feed("gh1/door", true);
    runtime.start();
    await runtime.settled();

    // cold with the door open: the band agent wants heat, the interlock refuses it
    await feed("gh1/temperature", 15);
    // door closed: the next reading heats
    await feed("gh1/door", false);
    await feed("gh1/temperature", 15.5);
    // door opens while heating: the rules agent switches the heater off
    await feed("gh1/door", true);
    await runtime.stop();

    expect(writes).toEqual(["gh1/heater=true", "gh1/heater=false"]);
    const rows = store.audit.list().reverse();
    expect(rows.map((r) => [r.actor.id, r.actor.tenant, r.point, r.value, r.outcome, r.code ?? null])).toEqual([
      ["climate", "farm", "gh1/heater", true, "refused", "LOS_E_WRITE_INTERLOCK"],
      ["climate", "farm", "gh1/heater", true, "accepted", null],
      ["door-guard", "farm", "gh1/heater", false, "accepted", null],
    ]);
    expect(rows[0]!.message).toContain("door must be closed to heat");
    expect(rows[2]!.reason).toBe("door opened while heating");
  });
});
