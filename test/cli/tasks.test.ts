/**
 * `llmagentos tasks`: list and show read the data dir of a running gateway; create (with --wait)
 * and cancel talk to it over MQTT as the admin whose password it wrote to the data dir.
 */
import { writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "../../src/agents/agent.js";
import type { TaskRecord } from "../../src/core/task-types.js";
import { gatewayConfigObject, startHarness, waitFor, type Harness } from "../gateway/helpers.js";
import { runCli } from "./run-cli.js";

let h: Harness;
let configFile: string;
let url: string;

beforeAll(async () => {
  h = await startHarness();
  const a = new Agent("doer", { tenant: "growers", register: false });
  a.onCallForProposals(() => ({ value: 4 }));
  a.onTask("note", (run) => ({ seen: run.params }));
  a.onTask("wait", (_run, ctx) => new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true })));
  h.gateway.addAgent(a);
  await waitFor(() => h.gateway.agents.running().length === 1, { what: "doer running" });
  // the same gateway's config as a file, for the topic scope (site, gateway) and the data dir
  configFile = join(h.dataDir, "llmagentos.yaml");
  writeFileSync(configFile, stringify(gatewayConfigObject({ simPort: h.sim.port!, dataDir: h.dataDir })));
  url = `mqtt://127.0.0.1:${h.authPort}`;
}, 60_000);

afterAll(() => h?.close());

describe("llmagentos tasks", { timeout: 60_000 }, () => {
  it("create --wait runs a task on the gateway; list and show read it back from the data dir", async () => {
    const created = await runCli(["tasks", "create", "-c", configFile, "--url", url, "--type", "note", "--id", "cli-1", "--params", '{"kw":2}', "--priority", "7", "--wait", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ id: "cli-1", state: "done", winner: "doer", priority: 7, createdBy: "user:admin", result: { seen: { kw: 2 } } });
    const [json, table, show, showJson] = await Promise.all([
      runCli(["tasks", "--json", "-d", h.dataDir]),
      runCli(["tasks", "--state", "done", "-d", h.dataDir]),
      runCli(["tasks", "show", "cli-1", "-d", h.dataDir]),
      runCli(["tasks", "show", "cli-1", "--json", "-d", h.dataDir]),
    ]);
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as TaskRecord[]).map((t) => [t.id, t.state])).toContainEqual(["cli-1", "done"]);
    expect(table.stdout).toMatch(/^id\s+type\s+state\s+prio/);
    expect(table.stdout).toMatch(/cli-1\s+note\s+done\s+7\s+auction\s+doer\s+1/);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain("cli-1  note  done  priority 7  auction  winner doer");
    expect(show.stdout).toMatch(/bid\s+doer/);
    const detail = JSON.parse(showJson.stdout) as { task: TaskRecord; events: { event: string }[] };
    expect(detail.events.map((e) => e.event)).toEqual(expect.arrayContaining(["created", "announced", "bid", "awarded", "running", "done"]));
  });

  it("cancel stops a running task; bad input exits with codes", async () => {
    const created = await runCli(["tasks", "create", "-c", configFile, "--url", url, "--type", "wait", "--id", "cli-2", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    await h.gateway.tasks.waitFor("cli-2", ["running"]);
    const cancelled = await runCli(["tasks", "cancel", "cli-2", "-c", configFile, "--url", url, "--reason", "enough"]);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toBe("task cli-2 cancelled\n");
    expect(h.gateway.tasks.get("cli-2")?.state).toBe("cancelled");
    const [dup, unknown, badState, badPriority] = await Promise.all([
      runCli(["tasks", "create", "-c", configFile, "--url", url, "--type", "note", "--id", "cli-2"]),
      runCli(["tasks", "show", "nope", "-d", h.dataDir]),
      runCli(["tasks", "--state", "sleeping", "-d", h.dataDir]),
      runCli(["tasks", "create", "-c", configFile, "--url", url, "--type", "note", "--priority", "12"]),
    ]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain("LOS_E_TASK_DUPLICATE");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("LOS_E_TASK_UNKNOWN");
    expect(badState.code).toBe(2);
    expect(badPriority.code).toBe(1);
    expect(badPriority.stderr).toContain("LOS_E_TASK_INVALID");
  });

  it("no gateway listening at --url exits 5 with LOS_E_GATEWAY_UNREACHABLE", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const down = await runCli(["tasks", "create", "-c", configFile, "--url", `mqtt://127.0.0.1:${port}`, "--type", "note"]);
    expect(down.code).toBe(5);
    expect(down.stderr).toContain("LOS_E_GATEWAY_UNREACHABLE");
  });

  it("--help describes every subcommand", async () => {
    const runs = await Promise.all([["tasks", "--help"], ["tasks", "create", "--help"], ["tasks", "cancel", "--help"], ["tasks", "show", "--help"]].map((a) => runCli(a)));
    for (const r of runs) expect(r.code).toBe(0);
    expect(runs[0]!.stdout).toMatch(/list.*\n.*show.*\n.*create.*\n.*cancel/s);
    expect(runs[1]!.stdout).toContain("--allocation <kind>");
  });
});
