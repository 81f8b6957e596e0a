/**
 * Hostile agents in one real gateway (greenhouse simulator, broker, SQLite, supervisor): a busy
 * loop, a memory bomb and a publish flood in worker threads, an agent actuating a point it was not
 * granted, and, in the process sandbox, one reading files and one opening a socket to the broker.
 * Each is contained, ends or is refused with its coded reason and is counted, while a well-behaved
 * worker agent keeps controlling the greenhouse through all of it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MqttClient } from "mqtt";
import { collect, startHarness, waitFor, type Harness } from "./helpers.js";

const FIXTURES = new URL("../fixtures/agents/", import.meta.url).pathname;
const temporary = { strategy: "temporary" } as const;
const hostile = (id: string, fixture: string, extra: Record<string, unknown> = {}) => ({
  id,
  tenant: "growers",
  isolation: "worker",
  restart: temporary,
  capabilities: { read: ["gh1/temperature"], publish: ["report", "flood"] },
  policy: { kind: "module", file: `${FIXTURES}${fixture}`, ...(extra.settings ? { options: extra.settings } : {}) },
  ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== "settings")),
});

let h: Harness;
let watcher: MqttClient;
let seen: ReturnType<typeof collect>;
const stats = (id: string) => h.gateway.agents.stats().find((s) => s.id === id);
const report = (id: string) => seen.last(`los/v1/test-site/gw1/agents/${id}/out/report`) as Record<string, { ok: boolean; code?: string }> | undefined;

beforeAll(async () => {
  h = await startHarness({
    temperatureC: 10,
    agents: [
      {
        id: "keeper",
        tenant: "growers",
        isolation: "worker",
        capabilities: { read: ["gh1/*"], write: ["gh1/heater", "gh1/vent"] },
        policy: { kind: "band", point: "gh1/temperature", low: 18, high: 24, heat: "gh1/heater", cool: "gh1/vent" },
      },
      hostile("looper", "busy-loop.mjs", { heartbeatMs: 100 }),
      hostile("bomber", "memory-bomb.mjs", { limits: { heapMB: 16 } }),
      hostile("flooder", "flood-publish.mjs", { limits: { messagesPerSecond: 20 }, settings: { count: 2000 } }),
      { ...hostile("sneaky", "actuate-ungranted.mjs", { settings: { point: "gh1/fan", value: true } }) },
      hostile("reader", "read-files.mjs", { isolation: "process", settings: { dataDir: "/tmp", every: true } }),
    ],
  });
  watcher = await h.connect(h.anonPort);
  seen = collect(watcher);
  await watcher.subscribeAsync("los/v1/test-site/gw1/agents/+/out/report");
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe("hostile agents in a gateway", () => {
  it("the busy loop is stopped by the watchdog (LOS_E_AGENT_HUNG) and, being temporary, stays down", async () => {
    await waitFor(() => stats("looper")?.lastExit?.code === "LOS_E_AGENT_HUNG", { what: "looper hung", timeoutMs: 15_000 });
    expect(stats("looper")).toMatchObject({ state: "failed", restarts: 0 });
  });

  it("the memory bomb ends at its heap limit (LOS_E_AGENT_OUT_OF_MEMORY) and the gateway lives", async () => {
    await waitFor(() => stats("bomber")?.lastExit?.code === "LOS_E_AGENT_OUT_OF_MEMORY", { what: "bomber out of memory", timeoutMs: 20_000 });
    expect(h.gateway.live.get("gh1/temperature")?.quality).toBe("good");
  });

  it("the publish flood is refused above its rate and counted", async () => {
    await waitFor(() => (stats("flooder")?.rateLimited ?? 0) > 0, { what: "flooder limited", timeoutMs: 15_000 });
    const s = stats("flooder")!;
    expect(s.messagesOut).toBeLessThan(2000);
    expect(s.lastExit?.code ?? "LOS_E_AGENT_RATE_LIMITED").toBe("LOS_E_AGENT_RATE_LIMITED");
  });

  it("an ungranted actuation is refused with LOS_E_WRITE_NOT_PERMITTED, audited and counted; the fan stays off", async () => {
    await waitFor(() => (stats("sneaky")?.refused ?? 0) > 0, { what: "sneaky refused", timeoutMs: 15_000 });
    const refused = h.gateway.store.audit.list({ point: "gh1/fan" }).filter((e) => e.actor.id === "sneaky");
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((e) => e.outcome === "refused" && e.code === "LOS_E_WRITE_NOT_PERMITTED")).toBe(true);
    expect(h.sim.bank(1).getBit("coil", 1)).toBe(false);
  });

  it("a process agent cannot read /etc/passwd or list a directory, and sees none of the gateway's environment", async () => {
    await waitFor(() => stats("reader")?.state === "running", { what: "reader running", timeoutMs: 15_000 });
    h.sim.bank(1).setWord("input", 0, 105); // a new reading (10.5 degC) makes it report again, now that we listen
    const r = await waitFor(() => report("reader"), { what: "reader's report", timeoutMs: 20_000 });
    expect(r.passwd).toMatchObject({ ok: false, code: "ERR_ACCESS_DENIED" });
    expect(r.dataDir).toMatchObject({ ok: false, code: "ERR_ACCESS_DENIED" });
    expect((r.env as unknown as { keys: string[] }).keys).not.toContain("PATH");
  });

  it("through all of it the well-behaved agent keeps the greenhouse in its band", async () => {
    await waitFor(() => h.sim.bank(1).getBit("coil", 0), { what: "heater on at 10 degC", timeoutMs: 15_000 });
    await waitFor(() => ["looper", "bomber"].every((id) => stats(id)?.state === "failed"), { what: "hostile agents down", timeoutMs: 20_000 });
    h.sim.bank(1).setWord("input", 0, 300); // 30.0 degC: above the band
    await waitFor(() => h.sim.bank(1).getBit("coil", 2), { what: "vent opened at 30 degC", timeoutMs: 15_000 });
    expect(stats("keeper")).toMatchObject({ state: "running", restarts: 0 });
    expect(stats("keeper")!.actuations).toBeGreaterThanOrEqual(2);
  });
});
