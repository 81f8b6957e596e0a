/**
 * `llmagentos agents` reads the snapshot a running gateway keeps in its data dir: a band agent from
 * the config and a failing code agent that used up its restarts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "../../src/agents/agent.js";
import type { AgentSnapshot } from "../../src/store/agents-repo.js";
import { startHarness, waitFor, type Harness } from "../gateway/helpers.js";
import { runCli } from "./run-cli.js";

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    temperatureC: 10,
    agents: [
      {
        id: "climate",
        tenant: "growers",
        capabilities: { read: ["gh1/*"], write: ["gh1/heater"] },
        policy: { kind: "band", point: "gh1/temperature", low: 15, high: 25, heat: "gh1/heater" },
      },
    ],
  });
  const broken = new Agent("broken", { register: false, tenant: "growers", everyMs: 10, capabilities: { read: ["gh1/temperature"] } }).onDecide(() => {
    throw new Error("always wrong");
  });
  h.gateway.addAgent(broken, { restart: { maxRestarts: 0 } });
  // what the CLI reads: the snapshot stored in state.db (every 2 s and after state changes)
  await waitFor(
    () => {
      const stored = new Map(h.gateway.store.agents.list().map((a) => [a.id, a]));
      const climate = stored.get("climate");
      return stored.get("broken")?.state === "failed" && climate !== undefined && climate.actuations > 0 && climate.messagesIn > 0;
    },
    { what: "stored snapshot: broken failed, climate fed and heating", timeoutMs: 20_000 },
  );
}, 60_000);

afterAll(() => h?.close());

describe("llmagentos agents", { timeout: 60_000 }, () => {
  it("--json lists every agent's state and accounting while the gateway runs; the table shows the same", async () => {
    const [json, table] = await Promise.all([runCli(["agents", "--json", "-d", h.dataDir]), runCli(["agents", "-d", h.dataDir])]);
    expect(json.code, json.stderr).toBe(0);
    const rows = JSON.parse(json.stdout) as AgentSnapshot[];
    expect(rows.map((a) => [a.id, a.tenant, a.isolation, a.state])).toEqual([
      ["broken", "growers", "in-process", "failed"],
      ["climate", "growers", "in-process", "running"],
    ]);
    const [broken, climate] = rows;
    expect(broken!.lastExit).toMatchObject({ code: "LOS_E_AGENT_RESTART_LIMIT", message: expect.stringContaining("always wrong") });
    expect(broken!.failures).toBe(5);
    expect(climate!.actuations).toBeGreaterThan(0);
    expect(climate!.messagesIn).toBeGreaterThan(0);
    expect(climate!.decisions).toBeGreaterThan(0);
    expect(climate!.startedAt).toBeGreaterThan(0);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^agent\s+tenant\s+isolation\s+state\s+restarts/);
    expect(table.stdout).toMatch(/broken\s+growers\s+in-process\s+failed\s+0\s.*LOS_E_AGENT_RESTART_LIMIT/);
    expect(table.stdout).toMatch(/climate\s+growers\s+in-process\s+running\s+0\s/);
  });

  it("--help names its options and the spec subcommand", async () => {
    const [top, list] = await Promise.all([runCli(["agents", "--help"]), runCli(["agents", "list", "--help"])]);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain("spec");
    for (const o of ["--json", "--data-dir", "--config"]) expect(list.stdout).toContain(o);
  });
});
