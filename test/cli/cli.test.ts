/**
 * The llmagentos command as a user runs it: `node bin/llmagentos.mjs …` in a child process from the
 * repository root. Exit codes, help texts, validation messages, the read-only data commands on a
 * data dir written by a real gateway run, and short timed runs of start, sim and demo.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadConfigValue } from "../../src/config/load.js";
import { buildGateway } from "../../src/gateway.js";
import { DEMO_VIEW } from "../../src/cli/demo-config.js";
import { openStoreReadOnly } from "../../src/store/index.js";
import type { ModbusSimulator } from "../../simulators/modbus/simulator.js";
import { runCli, type CliRun } from "./run-cli.js";
import { gatewayConfigObject, removeDir, startGreenhouse, tempDir, TEST_SCRYPT, waitFor } from "../gateway/helpers.js";

type Run = CliRun;

/**
 * Each child spends about a CPU-second starting (tsx): at most MAX_CHILDREN short commands run at
 * a time so a small machine is not swamped; the rest wait their turn. The timed runs (start, sim,
 * demo) mostly wait for their --duration and do not take a slot.
 */
const MAX_CHILDREN = 2;
let running = 0;
const queue: (() => void)[] = [];
async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= MAX_CHILDREN) await new Promise<void>((r) => queue.push(r));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    queue.shift()?.();
  }
}

/** Run the CLI to completion (bounded: killed after `timeoutMs`). */
function cli(args: string[], timeoutMs = 30_000): Promise<Run> {
  return slot(() => runCli(args, timeoutMs));
}

/** A run that mostly waits (--duration): started at once, outside the slots. */
function timedCli(args: string[]): Promise<Run> {
  return runCli(args, 90_000);
}


let work: string;
let sim: ModbusSimulator;
let dataDir: string;
let goodConfig: string;
let badConfig: string;

beforeAll(async () => {
  work = await tempDir("los-cli-");
  sim = await startGreenhouse({ temperatureC: 12 });

  // a data dir written by a short real gateway run: a few readings and one actuation
  dataDir = join(work, "run-data");
  const gateway = await buildGateway(loadConfigValue(gatewayConfigObject({ simPort: sim.port!, dataDir }), work), { scrypt: TEST_SCRYPT });
  try {
    await waitFor(() => gateway.live.get("gh1/temperature")?.quality === "good" && gateway.live.get("gh1/door")?.quality === "good", {
      what: "first readings",
    });
    const r = await gateway.actuate({ kind: "operator", id: "cli-test" }, "gh1/fan", true, "cli test write");
    expect(r.ok).toBe(true);
  } finally {
    await gateway.close();
  }

  // config fixtures for validate and start
  goodConfig = join(work, "good.yaml");
  await writeFile(
    goodConfig,
    stringify({
      site: "cli-site",
      gateway: "gw1",
      dataDir: "./start-data",
      log: { level: "warn" },
      bus: { listeners: [{ kind: "tcp", host: "127.0.0.1", port: 0, allowAnonymous: true }] },
      devices: [
        {
          id: "gh1",
          profile: "llmagentos/greenhouse-sim",
          connection: { type: "modbus-tcp", host: "127.0.0.1", port: sim.port, unitId: 1, timeoutMs: 300 },
          pollMs: 100,
        },
      ],
    }),
  );
  badConfig = join(work, "bad.yaml");
  await writeFile(
    badConfig,
    [
      "site: cli-site",
      "gateway: gw1",
      "dataDir: ./bad-data",
      "bus:",
      "  listeners:",
      "    - kind: tcp",
      "      host: 127.0.0.1",
      "      port: 0",
      "      colour: blue",
      "devices: []",
      "",
    ].join("\n"),
  );
}, 30_000);

afterAll(async () => {
  await sim?.close();
  if (work) await removeDir(work);
});

const HELP: Record<string, string[]> = {
  start: ["--config", "--duration", "--log-level"],
  demo: ["--site", "--duration", "--speed", "--port", "--data-dir"],
  validate: ["--profile", "--json"],
  "sim modbus": ["--model", "--port", "--rtu", "--units", "--duration"],
  points: ["--json", "--data-dir", "--config"],
  history: ["--since", "--until", "--bucket", "--json", "--data-dir"],
  audit: ["--since", "--point", "--actor", "--limit", "--json"],
  schema: ["--out"],
};

describe.concurrent("llmagentos CLI", { timeout: 120_000 }, () => {
  it("start --duration runs the gateway on the config and shuts down cleanly", async () => {
    const r = await timedCli(["start", "--config", goodConfig, "--duration", "2s"]);
    expect(r.code, r.stderr).toBe(0);
    const ro = openStoreReadOnly(join(work, "start-data"));
    try {
      expect(ro.telemetry.sampleCount()).toBeGreaterThan(0);
      expect(ro.audit.list({ actor: "safety" }).length).toBeGreaterThan(0);
    } finally {
      ro.close();
    }
  });

  it("sim modbus --port 0 prints its port and exits after --duration", async () => {
    const r = await timedCli(["sim", "modbus", "--port", "0", "--duration", "1s"]);
    expect(r.code, r.stderr).toBe(0);
    const m = /on 127\.0\.0\.1:(\d+)/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
  });

  it("demo --duration 6s --port 0 runs every device family of the site, exits 0 and leaves their history in the data dir", async () => {
    const dir = join(work, "demo-data");
    const r = await timedCli(["demo", "--duration", "6s", "--port", "0", "--data-dir", dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("LLMAgentOS demo (full site, 14 devices)");
    const ro = openStoreReadOnly(dir);
    try {
      // one point of every device: Modbus TCP and RTU, OPC-UA, NMEA, command/response and binary frames
      const shown = ["gh1/temperature", "gh2/temperature", ...Object.entries(DEMO_VIEW).map(([device, points]) => `${device}/${points[0]}`)];
      const missing = shown.filter((id) => ro.telemetry.last(id)?.quality !== "good");
      expect(missing, r.stdout).toEqual([]);
    } finally {
      ro.close();
    }
  });

  it("demo --site greenhouse runs the two zones alone; an unknown site is a usage error", async () => {
    const dir = join(work, "demo-greenhouse");
    const [ok, bad] = await Promise.all([
      timedCli(["demo", "--site", "greenhouse", "--duration", "2s", "--port", "0", "--data-dir", dir]),
      cli(["demo", "--site", "moon"]),
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain("LLMAgentOS demo (greenhouse site, 2 devices)");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("LOS_E_USAGE");
  });

  it("--help lists every command; each command's --help names its options; exit 0", async () => {
    const [top, ...runs] = await Promise.all([
      cli(["--help"]),
      ...Object.keys(HELP).map((cmd) => cli([...cmd.split(" "), "--help"])),
    ]);
    expect(top!.code).toBe(0);
    for (const cmd of ["start", "demo", "validate", "sim", "points", "history", "audit", "schema"]) expect(top!.stdout).toContain(cmd);
    Object.entries(HELP).forEach(([cmd, options], i) => {
      const r = runs[i]!;
      expect(r.code, cmd).toBe(0);
      expect(r.stdout, cmd).toContain(`Usage: llmagentos ${cmd}`);
      for (const o of options) expect(r.stdout, `${cmd} ${o}`).toContain(o);
    });
  });

  it("an unknown command exits 2", async () => {
    const cmd = await cli(["frobnicate"]);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toMatch(/unknown command/i);
  });

  it("validate: a good config and a profile exit 0, a bad config exits 3 with code, file:line and path", async () => {
    const [good, bad, profile] = await Promise.all([
      cli(["validate", goodConfig]),
      cli(["validate", badConfig]),
      cli(["validate", "--profile", "devices/llmagentos/greenhouse-sim.yaml"]),
    ]);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/^ok: .*site cli-site, gateway gw1, 1 devices, 0 agents/);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain("LOS_E_CONFIG_INVALID");
    expect(bad.stderr).toContain(`${badConfig}:9`);
    expect(bad.stderr).toMatch(/bus\.listeners\.0|bus\/listeners\/0|listeners\[0\]/);
    expect(bad.stderr).toContain("colour");
    expect(bad.stdout).toBe("");
    expect(profile.code, profile.stderr).toBe(0);
    expect(profile.stdout).toMatch(/^ok: profile llmagentos greenhouse-sim, \d+ points/);
  });

  it("points, history and audit read a data dir written by a gateway run; --json parses", async () => {
    const [points, historyJson, audit, auditJson, noDir] = await Promise.all([
      cli(["points", "gh1/", "-d", dataDir]),
      cli(["history", "gh1/temperature", "--json", "-d", dataDir]),
      cli(["audit", "-d", dataDir]),
      cli(["audit", "--json", "--point", "gh1/fan", "-d", dataDir]),
      cli(["points", "-d", "/nonexistent/los-data"]),
    ]);
    for (const r of [points, historyJson, audit, auditJson]) expect(r.code, r.stderr).toBe(0);

    expect(points.stdout).toMatch(/^point\s+value\s+quality\s+time/);
    expect(points.stdout).toMatch(/gh1\/temperature\s+12\s+good/);
    expect(points.stdout).toMatch(/gh1\/door\s+false\s+good/);

    const hj = JSON.parse(historyJson.stdout) as { value: unknown }[];
    expect(hj.length).toBeGreaterThan(0);
    expect(hj[0]).toMatchObject({ value: 12 });

    expect(audit.stdout).toMatch(/^id\s+time\s+actor\s+point\s+value\s+outcome\s+reason/);
    expect(audit.stdout).toContain("operator:cli-test");
    expect(audit.stdout).toContain("cli test write");
    expect(audit.stdout).toContain("system:safety"); // the safe values on shutdown
    const aj = JSON.parse(auditJson.stdout) as { point: string; outcome: string; actor: { id: string } }[];
    expect(aj.map((r) => r.actor.id).sort()).toEqual(["cli-test", "safety"]);
    expect(aj.every((r) => r.point === "gh1/fan" && r.outcome === "accepted")).toBe(true);

    expect(noDir.code).toBe(4);
    expect(noDir.stderr).toContain("LOS_E_STORE_OPEN");
  });

});
