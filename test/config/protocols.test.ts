import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Connection } from "../../src/config/connection-schema.js";
import { loadConfig } from "../../src/config/load.js";
import { checkProfile } from "../../src/config/profile-load.js";
import { valueKind } from "../../src/config/point-kind.js";
import { DeviceProfile as DeviceProfileSchema, type DeviceProfile, type OpcuaPointDef, type SerialProfile } from "../../src/config/profile-schema.js";
import { validateSchema } from "../../src/config/validate.js";
import { baseConfig, catchLos, tempDir, writeFile } from "./helpers.js";

const opcua = (...points: OpcuaPointDef[]): DeviceProfile => ({ vendor: "v", model: "m", protocol: "opcua", source: "s", points });
const serial = (framing: SerialProfile["framing"], ...points: SerialProfile["points"]): DeviceProfile => ({
  vendor: "v",
  model: "m",
  protocol: "serial",
  source: "s",
  framing,
  points,
});
const messages = (p: DeviceProfile) => checkProfile(p).map((x) => x.message);

describe("profiles are a union tagged by protocol", () => {
  it("an unknown protocol names the ones that exist", () => {
    expect(validateSchema(DeviceProfileSchema, { vendor: "v", model: "m", protocol: "bacnet", source: "s", points: [] })).toEqual([
      { path: ["protocol"], message: 'expected one of "modbus", "opcua", "serial", got "bacnet"' },
    ]);
  });

  it("an error inside a variant points at the field, not at the union", () => {
    const problems = validateSchema(DeviceProfileSchema, { vendor: "v", model: "m", protocol: "opcua", source: "s", points: [{ name: "x", nodeId: "ns=1;s=X" }] });
    expect(problems.map((p) => p.path.join("."))).toContain("points.0.type");
  });

  it("the value kind of a point follows its protocol's type", () => {
    expect(valueKind({ name: "a", register: "coil", address: 0 })).toBe("bool");
    expect(valueKind({ name: "a", register: "holding", address: 0, type: "float32" })).toBe("number");
    expect(valueKind({ name: "a", nodeId: "ns=1;s=A", type: "Boolean" })).toBe("bool");
    expect(valueKind({ name: "a", nodeId: "ns=1;s=A", type: "String" })).toBe("string");
    expect(valueKind({ name: "a", nodeId: "ns=1;s=A", type: "UInt16" })).toBe("number");
    expect(valueKind({ name: "a", type: "uint16", byteOffset: 0 })).toBe("number");
    expect(valueKind({ name: "a", type: "string", regex: "(.*)" })).toBe("string");
  });
});

describe("OPC-UA profile checks", () => {
  it("accepts namespace-index, namespace-uri, numeric, guid and opaque node ids", () => {
    const p = opcua(
      { name: "a", nodeId: "ns=2;s=Tank.Level", type: "Double", unit: "m" },
      { name: "b", nodeId: "nsu=urn:acme:plc;s=Pump.Run", type: "Boolean" },
      { name: "c", nodeId: "i=2258", type: "Double", unit: "" },
      { name: "d", nodeId: "ns=1;g=09087e75-8e5e-499b-954f-f2a9603db28a", type: "Int32", unit: "" },
      { name: "e", nodeId: "ns=1;b=M/RbKBsRVkePCePcx24oRA==", type: "String" },
    );
    expect(messages(p)).toEqual([]);
  });

  it("refuses node ids that do not parse and nodes mapped twice", () => {
    const p = opcua(
      { name: "a", nodeId: "Tank.Level", type: "Double" },
      { name: "b", nodeId: "ns=2;s=X", type: "Double" },
      { name: "c", nodeId: "ns=2;s=X", type: "Double" },
    );
    expect(messages(p)).toEqual([
      '"Tank.Level" is not a node id (expected ns=<n>;s=<name>, ns=<n>;i=<number>, or nsu=<uri>;…)',
      'ns=2;s=X is also mapped by point "b"',
    ]);
  });

  it("pollMs belongs to polled points and samplingMs to subscribed ones", () => {
    const p = opcua(
      { name: "a", nodeId: "ns=2;s=A", type: "Double", mode: "poll", samplingMs: 100 },
      { name: "b", nodeId: "ns=2;s=B", type: "Double", pollMs: 500 },
    );
    expect(messages(p)).toEqual([
      "samplingMs applies to subscribed points; a polled point uses pollMs",
      "pollMs applies to polled points (mode: poll)",
    ]);
  });

  it("an envelope must fit the point's kind: no min/max on a boolean, a string safe value on a string", () => {
    const p = opcua(
      { name: "run", nodeId: "ns=2;s=Run", type: "Boolean", writable: true, envelope: { min: 0, safeValue: false } },
      { name: "mode", nodeId: "ns=2;s=Mode", type: "String", writable: true, envelope: { safeValue: "off" } },
      { name: "speed", nodeId: "ns=2;s=Speed", type: "Float", writable: true, envelope: { safeValue: "0" } },
    );
    expect(messages(p)).toEqual([
      "min, max and maxRatePerSec apply to numbers; this point carries a bool",
      'safeValue "0" does not fit a number point',
    ]);
  });
});

describe("serial profile checks", () => {
  it("each point must locate its value the way the framing cuts the stream", () => {
    expect(messages(serial({ kind: "lines", format: "csv" }, { name: "t", column: 0, unit: "degC" }, { name: "h", unit: "%RH" }))).toEqual([
      "a point of a csv profile needs `column`",
    ]);
    expect(messages(serial({ kind: "lines", format: "json" }, { name: "t", unit: "degC" }))).toEqual(["a point of a json profile needs `path`"]);
    expect(messages(serial({ kind: "nmea" }, { name: "lat", sentence: "GGA", unit: "deg" }))).toEqual([
      "an NMEA point needs `sentence` (e.g. GGA) and `field`",
    ]);
    expect(
      messages(serial({ kind: "binary", sync: [0xaa, 0x55], lengthOffset: 2, lengthBytes: 1, checksum: "sum8" }, { name: "t", byteOffset: 0, type: "number" })),
    ).toEqual(["a binary-frame point needs a binary type (int8, uint8, int16, uint16, int32, uint32, float32)"]);
  });

  it("refuses a regex that does not compile, and writes on a stream that only sends", () => {
    const p = serial({ kind: "lines", format: "regex" }, { name: "t", regex: "T=([0-9.]+", unit: "degC", writable: true, envelope: { min: 0 } });
    const m = messages(p);
    expect(m[0]).toMatch(/^invalid regular expression: /);
    expect(m[1]).toBe("points of a lines profile are read-only (the device only sends)");
  });

  it("a writable command/response point needs its write command", () => {
    expect(messages(serial({ kind: "command" }, { name: "rate", writable: true, unit: "s", envelope: { min: 1, max: 60 } }))).toEqual([
      "a writable command/response point needs `writeCommand`",
    ]);
  });
});

describe("gateway config: connections and profiles must speak the same protocol", () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  const csvProfile = ["vendor: acme", "model: csv", "protocol: serial", "source: test", "framing: { kind: lines, format: csv }", "points:", "  - { name: t, column: 0, unit: degC }"].join("\n");

  function problemsOf(devices: string[]) {
    writeFile(dir, "csv.yaml", csvProfile);
    const text = `${baseConfig()}\ndevices:\n${devices.join("\n")}`;
    const err = catchLos(() => loadConfig(writeFile(dir, "gateway.yaml", text)));
    return (err.details.problems as { path: string; message: string }[]).map((p) => `${p.path}: ${p.message}`);
  }

  it("a serial profile on a Modbus connection is refused with both names", () => {
    expect(problemsOf(["  - id: s1", "    profile: csv.yaml", "    connection: { type: modbus-tcp, host: 127.0.0.1, port: 502, unitId: 1 }"])).toEqual([
      "devices[0].connection.type: profile acme/csv speaks serial, but the connection is modbus-tcp",
    ]);
  });

  it("one serial port carries one protocol with one line setting", () => {
    expect(
      problemsOf([
        "  - id: s1",
        "    profile: csv.yaml",
        "    connection: { type: serial, path: /dev/ttyUSB0, baudRate: 9600 }",
        "  - id: s2",
        "    profile: csv.yaml",
        "    connection: { type: serial, path: /dev/ttyUSB0, baudRate: 115200 }",
        "  - id: s3",
        "    profile: csv.yaml",
        "    connection: { type: modbus-rtu, path: /dev/ttyUSB0, unitId: 3 }",
      ]),
    ).toEqual([
      "devices[1].connection: serial settings 115200/none/8/1 differ from 9600/none/8/1 of another device on /dev/ttyUSB0",
      "devices[2].connection.type: /dev/ttyUSB0 is already used as a serial line by another device",
      "devices[2].connection.type: profile acme/csv speaks serial, but the connection is modbus-rtu",
    ]);
  });

  it("an OPC-UA connection takes its password from the environment, never from the file", () => {
    const problems = validateSchema(Connection, {
      type: "opcua",
      endpoint: "opc.tcp://plc:4840",
      identity: { type: "username", username: "op", password: "secret" },
    });
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.path[0] === "identity")).toBe(true);
  });
});
