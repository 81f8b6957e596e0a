import { Type } from "@sinclair/typebox";
import { describe, expect, it } from "vitest";
import { Connection } from "../../src/config/connection-schema.js";
import { DeviceProfile } from "../../src/config/profile-schema.js";
import { formatPath, validateSchema } from "../../src/config/validate.js";

describe("formatPath", () => {
  it("writes paths as in JavaScript", () => {
    expect(formatPath([])).toBe("(root)");
    expect(formatPath(["devices", 0, "connection", "port"])).toBe("devices[0].connection.port");
    expect(formatPath([2, "x"])).toBe("[2].x");
  });
});

describe("validateSchema", () => {
  it("returns nothing for a valid value", () => {
    expect(validateSchema(Connection, { type: "modbus-rtu", path: "/dev/ttyUSB0", unitId: 1 })).toEqual([]);
  });

  it("explains a tagged union through the variant the value names", () => {
    expect(validateSchema(Connection, { type: "modbus-rtu", path: "/dev/ttyUSB0", unitId: 0 })).toEqual([
      { path: ["unitId"], message: "expected integer to be greater or equal to 1, got 0" },
    ]);
    expect(validateSchema(Connection, { type: "modbus-tcp", host: "h", port: 502 })).toEqual([{ path: ["unitId"], message: "is required" }]);
  });

  it("a union value without its tag says which tags exist", () => {
    expect(validateSchema(Connection, { host: "h" })).toEqual([{ path: ["type"], message: 'expected one of "modbus-tcp", "modbus-rtu", "opcua", "serial", got undefined' }]);
  });

  it("appends the schema's description to a wrong value", () => {
    const schema = Type.Object({ n: Type.Integer({ minimum: 10, description: "at least ten" }) });
    expect(validateSchema(schema, { n: 3 })).toEqual([{ path: ["n"], message: "expected integer to be greater or equal to 10, got 3 (at least ten)" }]);
  });

  it("reports one problem per path and at most 20", () => {
    const points = Array.from({ length: 30 }, (_, i) => ({ name: `p${i}`, register: "holding", address: -1 }));
    const problems = validateSchema(DeviceProfile, { vendor: "v", model: "m", protocol: "modbus", source: "s", points });
    expect(problems).toHaveLength(20);
    expect(new Set(problems.map((p) => p.path.join("/"))).size).toBe(20);
  });

  it("unescapes JSON pointer segments in keys", () => {
    const schema = Type.Object({ then: Type.Record(Type.String(), Type.Number()) });
    expect(validateSchema(schema, { then: { "gh1/fan": "on" } })).toEqual([{ path: ["then", "gh1/fan"], message: 'expected number, got "on"' }]);
  });
});
