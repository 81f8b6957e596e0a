import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BUILTIN_PROFILES_DIR, loadProfileFile } from "../../src/config/profile-load.js";
import { GREENHOUSE_MAP as MAP } from "../../simulators/models/greenhouse-map.js";

describe("devices/llmagentos/greenhouse-sim.yaml", () => {
  const profile = loadProfileFile(join(BUILTIN_PROFILES_DIR, "llmagentos", "greenhouse-sim.yaml"));
  const point = (name: string) => {
    const p = profile.points.find((x) => x.name === name);
    if (!p) throw new Error(`profile has no point ${name}`);
    return p;
  };

  it("maps the simulator's registers at the simulator's addresses", () => {
    expect(point("heater")).toMatchObject({ register: "coil", address: MAP.coil.heater, writable: true });
    expect(point("fan")).toMatchObject({ register: "coil", address: MAP.coil.fan });
    expect(point("vent")).toMatchObject({ register: "coil", address: MAP.coil.vent });
    expect(point("door")).toMatchObject({ register: "discrete", address: MAP.discrete.door });
    expect(point("temperature")).toMatchObject({ register: "input", address: MAP.input.temperature, type: "int16", scale: 0.1 });
    expect(point("humidity")).toMatchObject({ register: "input", address: MAP.input.humidity, type: "uint16", scale: 0.1 });
    expect(point("outside_temperature")).toMatchObject({ register: "input", address: MAP.input.outsideTemperature, type: "int16" });
    expect(point("outside_humidity")).toMatchObject({ register: "input", address: MAP.input.outsideHumidity });
    expect(point("heater_energy")).toMatchObject({ register: "input", address: MAP.input.heaterEnergy, type: "float32", wordOrder: "big" });
    expect(point("high_temp_alarm")).toMatchObject({ register: "input", address: MAP.input.status, bit: MAP.statusBits.highTempAlarm });
    expect(point("heater_on")).toMatchObject({ address: MAP.input.status, bit: MAP.statusBits.heaterOn });
    expect(point("fan_on")).toMatchObject({ address: MAP.input.status, bit: MAP.statusBits.fanOn });
    expect(point("vent_open")).toMatchObject({ address: MAP.input.status, bit: MAP.statusBits.ventOpen });
    expect(point("setpoint")).toMatchObject({ register: "holding", address: MAP.holding.setpoint, type: "int16", scale: 0.1 });
    expect(point("fan_speed")).toMatchObject({ register: "holding", address: MAP.holding.fanSpeed });
    expect(point("alarm_limit")).toMatchObject({ register: "holding", address: MAP.holding.alarmLimit });
  });

  it("gives the heater a safe value and the high-temperature interlock", () => {
    expect(point("heater").envelope).toMatchObject({
      safeValue: false,
      interlocks: [{ point: "high_temp_alarm", op: "==", value: false, when: "nonzero" }],
    });
  });
});
