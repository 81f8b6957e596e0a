import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig, loadConfigValue } from "../../src/config/load.js";
import { BAD_PROFILES, FIXTURES, PROFILES, baseConfig, catchLos, tcpDevice, tempDir, writeFile } from "./helpers.js";

/** 1-based line of the first line containing `needle`. */
function lineOf(text: string, needle: string, from = 0): number {
  const lines = text.split("\n");
  const i = lines.findIndex((l, n) => n >= from && l.includes(needle));
  if (i < 0) throw new Error(`"${needle}" not in text`);
  return i + 1;
}

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

function load(text: string) {
  return loadConfig(writeFile(dir, "gateway.yaml", text));
}

function problems(text: string) {
  const err = catchLos(() => load(text));
  return { err, problems: err.details.problems as { path: string; message: string; line?: number }[] };
}

describe("loadConfig: a valid config", () => {
  it("loads the fixture gateway config with its profiles resolved", () => {
    const loaded = loadConfig(join(FIXTURES, "gateway.yaml"));
    expect(loaded.dir).toBe(FIXTURES);
    expect(loaded.dataDir).toBe(join(FIXTURES, "data"));
    expect(loaded.config.site).toBe("greenhouse-1");
    expect(loaded.devices.map((d) => d.id)).toEqual(["gh1", "meter1"]);
    const [gh1, meter1] = loaded.devices;
    expect(gh1!.profileFile).toBe(join(PROFILES, "acme/climate.yaml"));
    expect(gh1!.tenant).toBe("farm");
    expect(gh1!.profile.points.find((p) => p.name === "setpoint")?.envelope?.max).toBe(35);
    expect(meter1!.profileFile).toBe(join(PROFILES, "acme/meter.yaml"));
    expect(meter1!.pollMs).toBe(5000);
    expect(meter1!.tenant).toBeUndefined();
    expect(loaded.config.agents?.map((a) => a.policy?.kind)).toEqual(["band", "rules"]);
  });

  it("accepts a relative config path and resolves dataDir from the config's directory", () => {
    const text = `${baseConfig()}\ndevices:\n${tcpDevice("d1")}\n`;
    writeFile(dir, "gw.yaml", text);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const loaded = loadConfig("gw.yaml");
      expect(loaded.file).toBe(join(dir, "gw.yaml"));
      expect(loaded.dataDir).toBe(join(dir, "data"));
    } finally {
      process.chdir(cwd);
    }
  });

  it("shares one TCP peer between devices with different unit ids and one RTU bus with equal settings", () => {
    const rtu = (id: string, unit: number, baud = "") =>
      [`  - id: ${id}`, "    profile: acme/meter", "    connection:", "      type: modbus-rtu", "      path: /dev/ttyS1", `      unitId: ${unit}`, baud]
        .filter(Boolean)
        .join("\n");
    const text = `${baseConfig()}\ndevices:\n${tcpDevice("a", 1)}\n${tcpDevice("b", 2)}\n${rtu("m1", 1)}\n${rtu("m2", 2, "      baudRate: 9600")}\n`;
    expect(load(text).devices).toHaveLength(4);
  });

  it("loadConfigValue runs the same checks on a config built in code", () => {
    const value = {
      site: "s",
      gateway: "g",
      dataDir: "data",
      bus: { listeners: [{ kind: "tcp", host: "127.0.0.1", port: 0 }] },
      devices: [{ id: "d1", profile: join(PROFILES, "acme/meter.yaml"), connection: { type: "modbus-tcp", host: "h", port: 502, unitId: 1 } }],
    };
    const loaded = loadConfigValue(value, dir);
    expect(loaded.dataDir).toBe(join(dir, "data"));
    expect(loaded.devices[0]!.profile.model).toBe("meter");

    const bad = { ...value, devices: [{ ...value.devices[0], connection: { type: "modbus-tcp", host: "h", port: 0, unitId: 1 } }] };
    const err = catchLos(() => loadConfigValue(bad, dir, "demo config"));
    expect(err.code).toBe("LOS_E_CONFIG_INVALID");
    expect(err.message).toContain("demo config");
    expect(err.message).toContain("devices[0].connection.port");
  });
});

describe("loadConfig: file and YAML errors", () => {
  it("a missing file is LOS_E_CONFIG_NOT_FOUND naming the file", () => {
    const err = catchLos(() => loadConfig(join(dir, "nope.yaml")));
    expect(err.code).toBe("LOS_E_CONFIG_NOT_FOUND");
    expect(err.message).toContain(join(dir, "nope.yaml"));
  });

  it("bad YAML syntax is LOS_E_CONFIG_PARSE with file and line", () => {
    const text = "site: s1\ngateway: g1\nbus:\n  listeners: [\n    kind: tcp\n";
    const err = catchLos(() => load(text));
    expect(err.code).toBe("LOS_E_CONFIG_PARSE");
    expect(err.message).toContain(join(dir, "gateway.yaml"));
    expect(err.message).toMatch(/gateway\.yaml:\d+:\d+/);
    expect(err.details.line).toBeGreaterThanOrEqual(4);
  });

  it("a duplicated key is a parse error at its line", () => {
    const text = "site: s1\ngateway: g1\nsite: s2\n";
    const err = catchLos(() => load(text));
    expect(err.code).toBe("LOS_E_CONFIG_PARSE");
    expect(err.details.line).toBe(3);
    expect(err.message).toContain("gateway.yaml:3:");
  });

  it("an empty file says the root must be an object", () => {
    const { err, problems: p } = problems("");
    expect(err.code).toBe("LOS_E_CONFIG_INVALID");
    expect(p[0]!.path).toBe("(root)");
  });
});

describe("loadConfig: schema errors name file, line and path", () => {
  it("an unknown key", () => {
    const text = `${baseConfig("histroy:\n  flushMs: 100")}\ndevices: []\n`;
    const { err, problems: p } = problems(text);
    expect(err.code).toBe("LOS_E_CONFIG_INVALID");
    expect(p).toEqual([{ path: "histroy", message: "unknown key (not in the schema)", line: lineOf(text, "histroy") }]);
    expect(err.message).toContain(`${join(dir, "gateway.yaml")}:${lineOf(text, "histroy")}:1 histroy: unknown key`);
  });

  it("an unknown key inside a device connection (a tagged union) names the variant's key", () => {
    const text = `${baseConfig()}\ndevices:\n${tcpDevice("d1")}\n      baudrate: 9600\n`;
    const { err, problems: p } = problems(text);
    expect(p).toEqual([{ path: "devices[0].connection.baudrate", message: "unknown key (not in the schema)", line: lineOf(text, "baudrate") }]);
    expect(err.message).toContain("devices[0].connection.baudrate");
  });

  it("a wrong value: port out of range", () => {
    const text = `${baseConfig()}\ndevices:\n${tcpDevice("d1", 1, 70000)}\n`;
    const { err, problems: p } = problems(text);
    expect(err.code).toBe("LOS_E_CONFIG_INVALID");
    expect(p).toHaveLength(1);
    expect(p[0]!.path).toBe("devices[0].connection.port");
    expect(p[0]!.message).toContain("65535");
    expect(p[0]!.message).toContain("70000");
    expect(p[0]!.line).toBe(lineOf(text, "port: 70000"));
    expect(err.message).toContain(`gateway.yaml:${lineOf(text, "port: 70000")}:`);
    expect(err.message).toContain("devices[0].connection.port");
  });

  it("a wrong type", () => {
    const text = `${baseConfig()}\ndevices:\n${tcpDevice("d1")}\n    pollMs: often\n`;
    const { problems: p } = problems(text);
    expect(p).toEqual([expect.objectContaining({ path: "devices[0].pollMs", line: lineOf(text, "pollMs") })]);
    expect(p[0]!.message).toMatch(/expected integer, got "often"/);
  });

  it("an unknown connection type lists the allowed ones", () => {
    const text = `${baseConfig()}\ndevices:\n${tcpDevice("d1").replace("modbus-tcp", "modbus-udp")}\n`;
    const { problems: p } = problems(text);
    expect(p).toEqual([expect.objectContaining({ path: "devices[0].connection.type" })]);
    expect(p[0]!.message).toBe('expected one of "modbus-tcp", "modbus-rtu", "opcua", "serial", got "modbus-udp"');
  });

  it("missing required keys, each reported", () => {
    const text = "site: s1\ngateway: g1\n";
    const { problems: p } = problems(text);
    const paths = p.map((x) => x.path);
    expect(paths).toEqual(expect.arrayContaining(["dataDir", "bus", "devices"]));
    expect(p.find((x) => x.path === "dataDir")!.message).toBe("is required");
    // a missing key points at its parent's line: the document root
    expect(p.find((x) => x.path === "dataDir")!.line).toBe(1);
  });

  it("a missing required key in a device (its connection)", () => {
    const text = `${baseConfig()}\ndevices:\n  - id: d1\n    profile: acme/climate\n`;
    const { problems: p } = problems(text);
    expect(p).toEqual([expect.objectContaining({ path: "devices[0].connection", message: "is required", line: lineOf(text, "- id: d1") })]);
  });

  it("a bad id pattern explains the allowed characters", () => {
    const text = `${baseConfig()}\ndevices:\n${tcpDevice("gh 1")}\n`;
    const { problems: p } = problems(text);
    expect(p[0]!.path).toBe("devices[0].id");
    expect(p[0]!.message).toContain("letters, digits, _ and -");
  });

  it("schema errors stop before profiles are looked at", () => {
    const text = `${baseConfig("extra: 1")}\ndevices:\n${tcpDevice("d1", 1, 502, "acme/none")}\n`;
    const { problems: p } = problems(text);
    expect(p.map((x) => x.path)).toEqual(["extra"]);
  });
});

describe("loadConfig: profiles", () => {
  it("a missing catalogue profile names the profile and the directories searched", () => {
    const text = `${baseConfig()}\ndevices:\n${tcpDevice("d1", 1, 502, "acme/nonexistent")}\n`;
    const { err, problems: p } = problems(text);
    expect(err.code).toBe("LOS_E_CONFIG_INVALID");
    expect(p[0]!.path).toBe("devices[0].profile");
    expect(p[0]!.message).toContain('no profile "acme/nonexistent"');
    expect(p[0]!.message).toContain(PROFILES);
    expect(p[0]!.line).toBe(lineOf(text, "acme/nonexistent"));
  });

  it("a missing profile file path", () => {
    const text = `${baseConfig()}\ndevices:\n${tcpDevice("d1", 1, 502, "./nope.yaml")}\n`;
    const { problems: p } = problems(text);
    expect(p[0]!.message).toContain(`profile file ${join(dir, "nope.yaml")} does not exist`);
  });

  it("an invalid profile makes the config invalid, quoting the profile's own file, line and path", () => {
    const text = `${baseConfig()}\ndevices:\n${tcpDevice("d1", 1, 502, join(BAD_PROFILES, "writable-input.yaml"))}\n`;
    const { err, problems: p } = problems(text);
    expect(err.code).toBe("LOS_E_CONFIG_INVALID");
    expect(p[0]!.path).toBe("devices[0].profile");
    expect(err.message).toContain("writable-input.yaml:9:");
    expect(err.message).toContain("points[0].writable: a input is read-only in Modbus");
  });

  it("every bad device profile is reported, not only the first", () => {
    const text = `${baseConfig()}\ndevices:\n${tcpDevice("d1", 1, 502, join(BAD_PROFILES, "overlap.yaml"))}\n${tcpDevice("d2", 2, 502, "acme/none")}\n`;
    const { problems: p } = problems(text);
    expect(p.map((x) => x.path)).toEqual(["devices[0].profile", "devices[1].profile"]);
  });

  it("devices of one profile file share one parsed profile; a bad one is reported for each device", () => {
    const ok = load(`${baseConfig()}\ndevices:\n${tcpDevice("a", 1)}\n${tcpDevice("b", 2)}\n${tcpDevice("c", 3, 502, "acme/meter")}\n`);
    expect(ok.devices[0]!.profile).toBe(ok.devices[1]!.profile);
    expect(ok.devices[2]!.profile).not.toBe(ok.devices[0]!.profile);
    const bad = join(BAD_PROFILES, "overlap.yaml");
    const { problems: p } = problems(`${baseConfig()}\ndevices:\n${tcpDevice("d1", 1, 502, bad)}\n${tcpDevice("d2", 2, 502, bad)}\n`);
    expect(p.map((x) => x.path)).toEqual(["devices[0].profile", "devices[1].profile"]);
    expect(p[0]!.message).toBe(p[1]!.message);
  });

  it("profilesDir is searched before the built-in devices/ and is relative to the config", () => {
    const text = `${baseConfig()}\ndevices:\n${tcpDevice("d1")}\n`.replace(`profilesDir: ${JSON.stringify(PROFILES)}`, "profilesDir: ./mine");
    const { problems: p } = problems(text);
    expect(p[0]!.message).toContain(join(dir, "mine"));
  });
});

describe("loadConfig: cross references", () => {
  it("duplicate device ids", () => {
    const text = `${baseConfig()}\ndevices:\n${tcpDevice("d1", 1)}\n${tcpDevice("d1", 2)}\n`;
    const { err, problems: p } = problems(text);
    expect(err.code).toBe("LOS_E_CONFIG_INVALID");
    expect(p).toEqual([{ path: "devices[1].id", message: 'duplicate id "d1"', line: lineOf(text, "- id: d1", lineOf(text, "- id: d1")) }]);
  });

  it("duplicate tenant and agent ids", () => {
    const agent = (id: string) =>
      [`  - id: ${id}`, "    capabilities: { read: [d1/temperature], write: [d1/heater] }", "    policy: { kind: band, point: d1/temperature, low: 1, high: 2, heat: d1/heater }"].join("\n");
    const text = `${baseConfig("tenants:\n  - id: t\n  - id: t")}\ndevices:\n${tcpDevice("d1")}\nagents:\n${agent("a")}\n${agent("a")}\n`;
    const { problems: p } = problems(text);
    expect(p.map((x) => x.path)).toEqual(["tenants[1].id", "agents[1].id"]);
  });

  it("unknown tenants on devices, agents and bus users; a tenant user without a tenant", () => {
    const extra = [
      "  users:",
      "    - { username: u1, passwordEnv: U1, role: tenant, tenant: ghost }",
      "    - { username: u2, passwordEnv: U2, role: tenant }",
      "tenants:",
      "  - id: farm",
    ].join("\n");
    const agent = "  - id: a1\n    tenant: nobody\n    capabilities: { read: [d1/temperature], write: [d1/heater] }\n    policy: { kind: band, point: d1/temperature, low: 1, high: 2, heat: d1/heater }";
    const text = `${baseConfig(extra)}\ndevices:\n${tcpDevice("d1")}\n    tenant: other\nagents:\n${agent}\n`;
    const { problems: p } = problems(text);
    expect(p).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: "devices[0].tenant", message: 'no tenant "other" in tenants' }),
        expect.objectContaining({ path: "agents[0].tenant", message: 'no tenant "nobody" in tenants' }),
        expect.objectContaining({ path: "bus.users[0].tenant", message: 'no tenant "ghost" in tenants' }),
        expect.objectContaining({ path: "bus.users[1].tenant", message: "a tenant user needs `tenant`" }),
      ]),
    );
    expect(p).toHaveLength(4);
  });

  it("unit id clash on one TCP peer", () => {
    const text = `${baseConfig()}\ndevices:\n${tcpDevice("a", 7)}\n${tcpDevice("b", 7)}\n`;
    const { problems: p } = problems(text);
    expect(p).toEqual([
      expect.objectContaining({ path: "devices[1].connection.unitId", message: 'unit id 7 on tcp://127.0.0.1:1502 is already used by device "a"' }),
    ]);
  });

  it("the same unit id on two different TCP peers is fine", () => {
    const text = `${baseConfig()}\ndevices:\n${tcpDevice("a", 7, 1502)}\n${tcpDevice("b", 7, 1503)}\n`;
    expect(load(text).devices).toHaveLength(2);
  });

  it("serial settings mismatch on one RTU bus, counting defaults", () => {
    const rtu = (id: string, unit: number, settings: string) =>
      [`  - id: ${id}`, "    profile: acme/meter", "    connection:", "      type: modbus-rtu", "      path: /dev/ttyUSB0", `      unitId: ${unit}`, settings]
        .filter(Boolean)
        .join("\n");
    const text = `${baseConfig()}\ndevices:\n${rtu("m1", 1, "")}\n${rtu("m2", 2, "      parity: even")}\n`;
    const { problems: p } = problems(text);
    expect(p).toEqual([
      expect.objectContaining({
        path: "devices[1].connection",
        message: "serial settings 9600/even/8/1 differ from 9600/none/8/1 of another device on /dev/ttyUSB0",
      }),
    ]);
  });

  describe("agents", () => {
    const withAgent = (agentYaml: string, devices = tcpDevice("gh1")) => `${baseConfig()}\ndevices:\n${devices}\nagents:\n${agentYaml}\n`;

    it("a capability naming a missing device", () => {
      const text = withAgent("  - id: a1\n    capabilities: { read: [gh2/temperature, '*/temperature'], write: [gh1/heater] }\n    policy: { kind: band, point: gh1/temperature, low: 1, high: 2, heat: gh1/heater }");
      const { problems: p } = problems(text);
      expect(p).toEqual([expect.objectContaining({ path: "agents[0].capabilities.read[0]", message: 'no device "gh2" is configured' })]);
    });

    it("a band policy on a missing point, outside capabilities, with low >= high and no actuator", () => {
      const text = withAgent("  - id: a1\n    capabilities: { read: [gh1/humidity] }\n    policy: { kind: band, point: gh1/temperature, low: 5, high: 5 }");
      const { problems: p } = problems(text);
      expect(p).toEqual([
        expect.objectContaining({ path: "agents[0].policy.point", message: '"gh1/temperature" is not in capabilities.read' }),
        expect.objectContaining({ path: "agents[0].policy.low", message: "low 5 must be below high 5" }),
        expect.objectContaining({ path: "agents[0].policy", message: "a band policy needs `heat`, `cool` or both" }),
      ]);
    });

    it("a band policy whose actuators are missing or not writable by the agent", () => {
      const text = withAgent("  - id: a1\n    capabilities: { read: ['gh1/*'], write: [gh1/fan] }\n    policy: { kind: band, point: gh1/temp, low: 1, high: 2, heat: gh1/heater, cool: gh1/cooler }");
      const { problems: p } = problems(text);
      expect(p).toEqual([
        expect.objectContaining({ path: "agents[0].policy.point", message: expect.stringContaining('no point "gh1/temp"') }),
        expect.objectContaining({ path: "agents[0].policy.heat", message: '"gh1/heater" is not in capabilities.write' }),
        expect.objectContaining({ path: "agents[0].policy.cool", message: expect.stringContaining('no point "gh1/cooler"') }),
      ]);
    });

    it("a rules policy writing a point it may not write, or one that does not exist", () => {
      const text = withAgent(
        [
          "  - id: a1",
          "    capabilities: { read: ['gh1/*'], write: [gh1/heater] }",
          "    policy:",
          "      kind: rules",
          "      rules:",
          "        - when: gh1/temperature > 30",
          "          then: { gh1/fan: true, gh1/heater: false, gh9/x: 1 }",
        ].join("\n"),
      );
      const { problems: p } = problems(text);
      expect(p.map((x) => [x.path, x.message])).toEqual([
        ["agents[0].policy.rules[0].then.gh1/fan", '"gh1/fan" is not in capabilities.write'],
        ["agents[0].policy.rules[0].then.gh9/x", 'no point "gh9/x" (expected <device>/<point> of a configured device)'],
      ]);
      expect(p[0]!.line).toBe(lineOf(text, "then:"));
    });

    it("a rule condition reading a point outside capabilities.read, or a missing one", () => {
      const text = withAgent(
        [
          "  - id: a1",
          "    capabilities: { read: [gh1/temperature], write: [gh1/fan] }",
          "    policy:",
          "      kind: rules",
          "      rules:",
          "        - when: gh1/temperature > 30 and not gh1/fan and gh1/door == false or gh1/nothing > 1",
          "          then: { gh1/fan: true }",
        ].join("\n"),
      );
      const { problems: p } = problems(text);
      expect(p.map((x) => [x.path, x.message])).toEqual([
        ["agents[0].policy.rules[0].when", '"gh1/door" is not in capabilities.read'],
        ["agents[0].policy.rules[0].when", 'no point "gh1/nothing" (expected <device>/<point> of a configured device)'],
      ]);
      expect(p[0]!.line).toBe(lineOf(text, "when:"));
    });

    it("a rule condition that does not parse: LOS_E_CONFIG_INVALID with file, line and path, reported with other problems", () => {
      const text = withAgent(
        [
          "  - id: a1",
          "    capabilities: { read: ['gh1/*'], write: [gh1/fan, gh1/heater] }",
          "    policy:",
          "      kind: rules",
          "      rules:",
          "        - when: gh1/temperature > 30",
          "          then: { gh1/fan: true }",
          "        - when: gh1/temperature < 10 and (gh1/humidity > 80",
          "          then: { gh1/heater: true }",
          "        - when: gh1/temperature >> 40",
          "          then: { gh1/cooler: true }",
        ].join("\n"),
      );
      const { err, problems: p } = problems(text);
      expect(err.code).toBe("LOS_E_CONFIG_INVALID");
      const file = join(dir, "gateway.yaml");
      const second = lineOf(text, "(gh1/humidity");
      const third = lineOf(text, ">> 40");
      expect(err.message).toContain(`${file}:${second}:`);
      expect(err.message).toContain("agents[0].policy.rules[1].when");
      expect(p.map((x) => [x.path, x.line])).toEqual([
        ["agents[0].policy.rules[2].then.gh1/cooler", third + 1],
        ["agents[0].policy.rules[1].when", second],
        ["agents[0].policy.rules[2].when", third],
      ]);
      expect(p[1]!.message).toBe('condition "gh1/temperature < 10 and (gh1/humidity > 80": ends too early');
      expect(p[2]!.message).toBe('condition "gh1/temperature >> 40": unexpected ">"');
    });

    it("a condition syntax error is reported even when a device profile is missing", () => {
      const text = withAgent(
        "  - id: a1\n    capabilities: { read: ['gh1/*'] }\n    policy: { kind: rules, rules: [{ when: 'gh1/temperature >', then: {} }] }",
        tcpDevice("gh1", 1, 1502, "acme/nope"),
      );
      const { problems: p } = problems(text);
      expect(p.map((x) => x.path)).toEqual(["devices[0].profile", "agents[0].policy.rules[0].when"]);
      expect(p[1]!.message).toBe('condition "gh1/temperature >": ends too early');
    });

    it("an unknown policy kind", () => {
      const text = withAgent("  - id: a1\n    capabilities: {}\n    policy: { kind: llm }");
      const { problems: p } = problems(text);
      expect(p).toEqual([expect.objectContaining({ path: "agents[0].policy.kind", message: 'expected one of "band", "rules", "module", got "llm"' })]);
    });

    it("a module policy is accepted without looking at the module (it is loaded when agents are built)", () => {
      const text = withAgent("  - id: a1\n    capabilities: { read: ['gh1/*'] }\n    policy: { kind: module, file: ./agent.ts, options: { x: 1 } }");
      expect(load(text).config.agents?.[0]?.policy?.kind).toBe("module");
    });
  });

  it("an interlock naming a point of a missing device", () => {
    const profile = [
      "vendor: acme",
      "model: x",
      "protocol: modbus",
      "source: test",
      "points:",
      "  - name: valve",
      "    register: coil",
      "    address: 0",
      "    writable: true",
      "    envelope:",
      "      interlocks:",
      "        - { point: pump9/running, op: '==', value: true }",
    ].join("\n");
    const profileFile = writeFile(dir, "x.yaml", profile);
    const text = `${baseConfig()}\ndevices:\n${tcpDevice("d1", 1, 502, profileFile)}\n`;
    const { problems: p } = problems(text);
    expect(p).toEqual([expect.objectContaining({ path: "devices[0].profile", message: 'interlock of "valve" refers to missing point "pump9/running"' })]);
  });
});
