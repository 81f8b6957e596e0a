/**
 * `llmagentos browse opcua` against the OPC-UA simulator: the walk finds the tank's variables with
 * their data types, units and writability within the depth and node bounds; the draft profile
 * refuses to load until the envelopes are filled in and loads once they are; the command prints
 * tree and draft, and an unreachable endpoint exits 5 with LOS_E_DISCOVERY_UNREACHABLE.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadProfileFile } from "../../src/config/profile-load.js";
import { browseOpcua, type BrowseResult } from "../../src/devices/discovery/opcua-browse.js";
import { draftOpcuaProfileYaml, formatTree } from "../../src/devices/discovery/opcua-browse-draft.js";
import { startOpcuaSimulator, type OpcuaSimulator } from "../../simulators/opcua/simulator.js";
import { removeDir, tempDir } from "../gateway/helpers.js";
import { runCli } from "./run-cli.js";

const cli = (args: string[]) => runCli(args, 60_000);

let sim: OpcuaSimulator;
let dataDir: string;
let result: BrowseResult;

beforeAll(async () => {
  sim = await startOpcuaSimulator({ variables: [{ nodeId: "ns=1;s=Line.Recipe", dataType: "String", writable: true, value: "A" }] });
  dataDir = await tempDir("los-browse-");
  result = await browseOpcua({ endpoint: sim.endpointUrl, dataDir });
}, 30_000);

afterAll(async () => {
  await sim?.close();
  if (dataDir) await removeDir(dataDir);
});

describe("browse opcua", () => {
  it("finds every tank variable with its type, unit and writability, and none of the standard model", () => {
    expect(result.tree.map((n) => n.browseName).sort()).toEqual(["Line", "Tank"]);
    const byId = new Map(result.variables.map((v) => [v.nodeId, v]));
    expect(byId.get("ns=1;s=Tank.Level")).toMatchObject({ path: "Tank.Level", dataType: "Double", unit: "m", writable: false, supported: true });
    expect(byId.get("ns=1;s=Tank.InletValve")).toMatchObject({ dataType: "Double", unit: "%", writable: true });
    expect(byId.get("ns=1;s=Tank.PumpCommand")).toMatchObject({ dataType: "Boolean", writable: true });
    expect(byId.get("ns=1;s=Tank.PumpStarts")).toMatchObject({ dataType: "UInt16" });
    expect(byId.get("ns=1;s=Line.Recipe")).toMatchObject({ dataType: "String", writable: true });
    expect(result.variables.filter((v) => v.nodeId.startsWith("ns=1;s=Tank."))).toHaveLength(15);
    expect(result.variables.every((v) => !v.nodeId.startsWith("ns=0;"))).toBe(true);
    expect(formatTree(result)).toMatch(/^Tank {2}ns=1;s=Tank\n {2}Level {2}ns=1;s=Tank.Level {2}Double \[m\]/m);
  });

  it("stops at the depth and node bounds", async () => {
    const shallow = await browseOpcua({ endpoint: sim.endpointUrl, dataDir, depth: 1 });
    expect(shallow.variables).toEqual([]);
    expect(shallow.tree.map((n) => n.browseName).sort()).toEqual(["Line", "Tank"]);
    const few = await browseOpcua({ endpoint: sim.endpointUrl, dataDir, maxNodes: 5 });
    expect(few.nodes).toBe(5);
    expect(few.truncated).toBe(true);
  });

  it("drafts a profile that loads only once every writable point has a real envelope", () => {
    const yaml = draftOpcuaProfileYaml(result, "2026-01-01");
    expect(yaml).toContain("envelope: FILL_IN");
    expect(yaml).toMatch(/name: tank_level, nodeId: "ns=1;s=Tank.Level", type: Double, unit: "m"/);
    expect(yaml).toContain('unit: "degC"'); // °C from the server, in the catalogue's spelling
    const dir = join(dataDir, "devices", "unknown");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "opcua-device.yaml");
    writeFileSync(file, yaml);
    expect(() => loadProfileFile(file)).toThrow(/envelope/);

    // what a person does: write an envelope that suits each command's type
    let type = "";
    const edited = yaml
      .split("\n")
      .map((line) => {
        type = /^\s+type: (\w+)/.exec(line)?.[1] ?? type;
        if (!line.includes("envelope: FILL_IN")) return line;
        const envelope = type === "Boolean" ? "{ safeValue: false }" : type === "String" ? '{ safeValue: "A" }' : "{ min: 0, max: 100 }";
        return line.replace("FILL_IN", envelope);
      })
      .join("\n");
    writeFileSync(file, edited);
    const profile = loadProfileFile(file);
    expect(profile.points.filter((p) => p.writable)).toHaveLength(4);
    expect(profile.points.every((p) => !p.writable || typeof p.envelope === "object")).toBe(true);
  });

  it("the command prints the tree and the draft; an unreachable endpoint exits 5", async () => {
    const run = await cli(["browse", "opcua", sim.endpointUrl, "--data-dir", dataDir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Tank {2}ns=1;s=Tank$/m);
    expect(run.stdout).toContain("protocol: opcua");
    expect(run.stderr).toMatch(/\d+ nodes, 16 variables/);
    expect(run.stderr).toContain("does not load until every `envelope: FILL_IN` is replaced");
    const down = await cli(["browse", "opcua", "opc.tcp://127.0.0.1:1", "--data-dir", dataDir]);
    expect(down.code).toBe(5);
    expect(down.stderr).toContain("error LOS_E_DISCOVERY_UNREACHABLE");
  }, 60_000);
});
