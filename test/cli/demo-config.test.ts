/**
 * The demo site shows every profile the package ships: a profile added to devices/ must join the
 * demo. The scenario simulators' profiles are shown by `llmagentos scenario run` instead.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { demoConfig } from "../../src/cli/demo-config.js";
import type { DemoEndpoints } from "../../src/cli/demo-site.js";
import { BUILTIN_PROFILES_DIR } from "../../src/config/profile-load.js";
import { loadConfigValue } from "../../src/config/load.js";

const endpoints: DemoEndpoints = {
  greenhousePort: 5020,
  meterMainPort: 5021,
  meterPumpPort: 5022,
  drivePort: 5023,
  probePath: "/tmp/demo-probe",
  tankEndpoint: "opc.tcp://127.0.0.1:4840",
  plcEndpoint: "opc.tcp://127.0.0.1:4841",
  gpsPath: "/tmp/demo-gps",
  weatherPath: "/tmp/demo-weather",
  thpPath: "/tmp/demo-thp",
  framesPath: "/tmp/demo-frames",
  csvPath: "/tmp/demo-csv",
  jsonPath: "/tmp/demo-json",
};

const SCENARIO_PROFILES = ["llmagentos/building-loads-sim", "llmagentos/factory-cell-sim"];

function shippedProfiles(): string[] {
  return readdirSync(BUILTIN_PROFILES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((vendor) => readdirSync(join(BUILTIN_PROFILES_DIR, vendor.name)).map((f) => `${vendor.name}/${f.replace(/\.ya?ml$/, "")}`))
    .filter((p) => !SCENARIO_PROFILES.includes(p))
    .sort();
}

describe("demo site config", () => {
  it("is a valid gateway config that uses every shipped profile", () => {
    const loaded = loadConfigValue(demoConfig({ simPort: 5020, mqttPort: 0, dataDir: "/tmp/demo-data", site: endpoints }), "/tmp", "demo");
    const used = [...new Set(loaded.config.devices.map((d) => d.profile))].sort();
    expect(used).toEqual(shippedProfiles());
  });

  it("without the site it is the two greenhouse zones alone (what the cold-start bench measures)", () => {
    const loaded = loadConfigValue(demoConfig({ simPort: 5020, mqttPort: 0, dataDir: "/tmp/demo-data" }), "/tmp", "demo");
    expect(loaded.config.devices.map((d) => d.id)).toEqual(["gh1", "gh2"]);
  });
});
