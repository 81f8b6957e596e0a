/**
 * `llmagentos scan modbus` as a user runs it (a child process from the repository root) against the
 * profile simulator over TCP: draft profiles on stdout that load, progress on stderr, JSON with
 * --json, exit 5 with LOS_E_DISCOVERY_UNREACHABLE when nothing listens, exit 2 on bad options.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { ManualClock } from "../../src/core/clock.js";
import { BUILTIN_PROFILES_DIR, loadProfileFile } from "../../src/config/profile-load.js";
import { startModbusSimulator, type ModbusSimulator } from "../../simulators/modbus/simulator.js";
import { runCli } from "./run-cli.js";

const cli = (args: string[]) => runCli(args);

let sim: ModbusSimulator;
const tmp = mkdtempSync(join(tmpdir(), "los-scan-cli-"));
beforeAll(async () => {
  const profile = loadProfileFile(join(BUILTIN_PROFILES_DIR, "generic", "xy-md02.yaml"));
  sim = await startModbusSimulator({ transport: "tcp", model: "profile", profile, unitIds: [1, 3], clock: new ManualClock() });
});
afterAll(async () => {
  await sim.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe("llmagentos scan modbus", () => {
  it("prints one draft profile per unit found, each loads as a profile; progress goes to stderr", async () => {
    const r = await cli(["scan", "modbus", `127.0.0.1:${sim.port}`, "--units", "1-4", "--max-address", "300", "--kinds", "input,holding"]);
    expect(r.stderr).toContain("scan: 4/4 unit ids probed, 2 found");
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(r.stdout);
    expect(docs).toHaveLength(2);
    const profiles = docs.map((doc, i) => {
      const file = join(tmp, `unit-${i}.yaml`);
      writeFileSync(file, doc.toString());
      return loadProfileFile(file);
    });
    expect(profiles.map((p) => p.model)).toEqual(["unit-1", "unit-3"]);
    expect(profiles[0]!.points.map((p) => p.name)).toEqual(["hr_257", "hr_258", "hr_259", "hr_260", "ir_1", "ir_2"]);
    expect(r.stdout).toMatch(/- \{ name: hr_257, register: holding, address: 257, type: uint16, unit: "" \} {2}# raw 1 \(0x0001\)/);
  });

  it("--json prints the findings", async () => {
    const r = await cli(["scan", "modbus", `127.0.0.1:${sim.port}`, "--units", "3", "--max-address", "10", "--kinds", "input", "--json"]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { units: { unitId: number; kinds: { input: { runs: { start: number; values: number[] }[] } } }[] };
    expect(result.units.map((u) => u.unitId)).toEqual([3]);
    expect(result.units[0]!.kinds.input.runs.map((run) => [run.start, run.values.length])).toEqual([[1, 2]]);
  });

  it("exits 5 with LOS_E_DISCOVERY_UNREACHABLE when nothing listens; 2 on a bad unit range", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    const [down, usage] = await Promise.all([
      cli(["scan", "modbus", `127.0.0.1:${port}`]),
      cli(["scan", "modbus", "/dev/ttyUSB9", "--units", "0-300"]),
    ]);
    expect(down.code).toBe(5);
    expect(down.stderr).toContain("LOS_E_DISCOVERY_UNREACHABLE");
    expect(down.stdout).toBe("");
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("--units");
  });
});
