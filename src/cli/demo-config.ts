/**
 * The demo site's gateway config: two greenhouse zones on one Modbus TCP simulator, a band
 * controller per zone and a rule agent that ventilates on high humidity.
 */
export interface DemoConfigOptions {
  simPort: number;
  mqttPort: number;
  dataDir: string;
}

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
    tenants: [{ id: "growers", name: "Demo growers" }],
    devices: [zone("gh1", 1), zone("gh2", 2)],
    agents: [
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
