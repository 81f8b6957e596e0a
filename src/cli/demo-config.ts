/**
 * The demo site's gateway config: two greenhouse zones on one Modbus TCP simulator, a band
 * controller per zone and a rule agent that ventilates on high humidity. With `site` (the endpoints
 * of startDemoSimulators) it adds one device of every profile family the gateway ships: energy
 * meters, a drive and a probe on Modbus, a water tank (with a pump agent) and a line PLC on OPC-UA,
 * a GPS, a weather station and four sensors on serial lines.
 */
import type { DemoEndpoints } from "./demo-site.js";

export interface DemoConfigOptions {
  simPort: number;
  mqttPort: number;
  dataDir: string;
  /** the rest of the demo site; without it, the greenhouse alone */
  site?: DemoEndpoints;
}

/** The points the live view shows for each demo device (the greenhouse zones have their own line). */
export const DEMO_VIEW: Readonly<Record<string, readonly string[]>> = {
  "meter-main": ["total_power", "frequency", "import_active_energy"],
  "meter-pump": ["voltage", "current", "active_power"],
  drive: ["output_frequency", "motor_speed", "running"],
  probe: ["temperature", "humidity"],
  tank: ["level", "inlet_valve", "pump_running", "mode"],
  line: ["speed", "motor_current", "running"],
  gps: ["latitude", "longitude", "satellites"],
  weather: ["temperature", "pressure", "wind_speed"],
  thp: ["temperature", "humidity", "pressure"],
  frames: ["temperature", "humidity", "counter"],
  csv: ["temperature", "humidity"],
  json: ["temperature", "humidity"],
};

function siteDevices(e: DemoEndpoints): Record<string, unknown>[] {
  const tcp = (port: number) => ({ type: "modbus-tcp", host: "127.0.0.1", port, unitId: 1, timeoutMs: 500 });
  const line = (path: string, baudRate: number) => ({ type: "serial", path, baudRate });
  return [
    { id: "meter-main", tenant: "facility", name: "main incomer", profile: "eastron/sdm630", connection: tcp(e.meterMainPort), pollMs: 1000 },
    { id: "meter-pump", tenant: "facility", name: "pump circuit", profile: "eastron/sdm120", connection: tcp(e.meterPumpPort), pollMs: 1000 },
    // the drive's RS-485 port sits behind a Modbus TCP gateway here
    { id: "drive", tenant: "facility", name: "circulation fan drive", profile: "abb/acs355", connection: tcp(e.drivePort), pollMs: 500 },
    {
      id: "probe",
      tenant: "growers",
      name: "potting shed probe",
      profile: "generic/xy-md02",
      connection: { type: "modbus-rtu", path: e.probePath, baudRate: 9600, unitId: 1, timeoutMs: 500 },
      pollMs: 2000,
    },
    // loopback demo: no security; see docs/opcua.md for Sign/SignAndEncrypt and the certificate store
    { id: "tank", tenant: "facility", name: "irrigation tank", profile: "llmagentos/water-tank-sim", connection: { type: "opcua", endpoint: e.tankEndpoint, securityMode: "None", securityPolicy: "None" } },
    { id: "line", tenant: "facility", name: "potting line PLC", profile: "generic/opcua-plc", connection: { type: "opcua", endpoint: e.plcEndpoint, securityMode: "None", securityPolicy: "None" } },
    { id: "gps", tenant: "facility", name: "site GPS", profile: "generic/nmea-gps", connection: line(e.gpsPath, 9600) },
    { id: "weather", tenant: "growers", name: "roof weather station", profile: "airmar/200wx", connection: line(e.weatherPath, 4800) },
    { id: "thp", tenant: "growers", name: "nursery sensor", profile: "llmagentos/command-thp-sim", connection: line(e.thpPath, 4800) },
    { id: "frames", tenant: "growers", name: "seed store logger", profile: "llmagentos/binary-thp-sim", connection: line(e.framesPath, 4800) },
    { id: "csv", tenant: "growers", name: "cold room logger", profile: "llmagentos/csv-thp-sim", connection: line(e.csvPath, 4800) },
    { id: "json", tenant: "growers", name: "packing hall logger", profile: "llmagentos/json-thp-sim", connection: line(e.jsonPath, 4800) },
  ];
}

/** Keeps the tank between 1.5 and 3 m by running the outlet pump (the inlet valve stays as set). */
const TANK_AGENT = {
  id: "tank-level",
  tenant: "facility",
  description: "runs the tank's outlet pump above 3 m until the level is back to 2.25 m",
  capabilities: { read: ["tank/*"], write: ["tank/pump_command"] },
  everyMs: 1000,
  policy: { kind: "band", point: "tank/level", low: 1.5, high: 3, cool: "tank/pump_command" },
};

export function demoConfig(o: DemoConfigOptions): Record<string, unknown> {
  const zone = (id: string, unitId: number) => ({
    id,
    tenant: "growers",
    name: `greenhouse zone ${unitId}`,
    profile: "llmagentos/greenhouse-sim",
    connection: { type: "modbus-tcp", host: "127.0.0.1", port: o.simPort, unitId, timeoutMs: 500 },
    pollMs: 250,
  });
  const climate = (zoneId: string, low: number, high: number) => ({
    id: `climate-${zoneId}`,
    tenant: "growers",
    description: `keeps ${zoneId} between ${low} and ${high} degC`,
    capabilities: { read: [`${zoneId}/*`], write: [`${zoneId}/heater`, `${zoneId}/vent`] },
    everyMs: 1000,
    policy: { kind: "band", point: `${zoneId}/temperature`, low, high, heat: `${zoneId}/heater`, cool: `${zoneId}/vent` },
  });
  return {
    site: "demo-greenhouse",
    gateway: "gw1",
    dataDir: o.dataDir,
    bus: { listeners: [{ kind: "tcp", host: "127.0.0.1", port: o.mqttPort, allowAnonymous: true }] },
    history: { maxAgeDays: 7, maxSizeMB: 64 },
    tenants: [{ id: "growers", name: "Demo growers" }, ...(o.site ? [{ id: "facility", name: "Demo site facilities" }] : [])],
    devices: [zone("gh1", 1), zone("gh2", 2), ...(o.site ? siteDevices(o.site) : [])],
    agents: [
      ...(o.site ? [TANK_AGENT] : []),
      climate("gh1", 20, 24),
      climate("gh2", 16, 19),
      {
        id: "humidity-guard",
        tenant: "growers",
        capabilities: { read: ["gh1/humidity", "gh2/humidity"], write: ["gh1/fan", "gh2/fan"] },
        policy: {
          kind: "rules",
          rules: [
            { when: "gh1/humidity > 85", then: { "gh1/fan": true }, reason: "gh1 humidity above 85 %RH" },
            { when: "gh1/humidity < 75", then: { "gh1/fan": false }, reason: "gh1 humidity back below 75 %RH" },
            { when: "gh2/humidity > 85", then: { "gh2/fan": true }, reason: "gh2 humidity above 85 %RH" },
            { when: "gh2/humidity < 75", then: { "gh2/fan": false }, reason: "gh2 humidity back below 75 %RH" },
          ],
        },
      },
    ],
  };
}
