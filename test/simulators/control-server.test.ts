/**
 * The simulator's HTTP control API over real HTTP (fetch) against a real Modbus TCP simulator, with
 * a modbus-serial client seeing the faults injected through it.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type ModbusRTU from "modbus-serial";
import { ManualClock } from "../../src/core/clock.js";
import { startControlServer, type ControlServer } from "../../simulators/control/control-server.js";
import { startModbusSimulator, type ModbusSimulator } from "../../simulators/modbus/simulator.js";
import { GREENHOUSE_MAP as MAP } from "../../simulators/models/greenhouse-map.js";
import { closeClient, rejection, tcpClient, waitFor } from "./helpers.js";

interface Answer {
  status: number;
  body: { ok: boolean; data?: Record<string, unknown>; error?: { code: string; message: string } };
}

let sim: ModbusSimulator;
let control: ControlServer;
const clients: ModbusRTU[] = [];

beforeEach(async () => {
  sim = await startModbusSimulator({ transport: "tcp", model: "greenhouse", unitIds: [1, 2], clock: new ManualClock(Date.UTC(2026, 0, 15, 2, 0)) });
  control = await startControlServer(sim);
});

afterEach(async () => {
  while (clients.length) await closeClient(clients.pop()!);
  await control.close();
  await sim.close();
});

async function call(method: string, path: string, body?: unknown): Promise<Answer> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    init.headers = { "content-type": "application/json" };
  }
  const res = await fetch(`${control.url}${path}`, init);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return { status: res.status, body: (await res.json()) as Answer["body"] };
}

async function client(unitId = 1, timeoutMs = 2000): Promise<ModbusRTU> {
  const c = await tcpClient(sim.port!, unitId, timeoutMs);
  clients.push(c);
  return c;
}

function expectInvalid(a: Answer, status: number, message: RegExp | string): void {
  expect(a.status).toBe(status);
  expect(a.body).toEqual({ ok: false, error: { code: "LOS_E_REQUEST_INVALID", message: typeof message === "string" ? message : expect.stringMatching(message) } });
}

describe("simulator control API", () => {
  it("listens on 127.0.0.1 only, on a port the OS chose", () => {
    expect(control.host).toBe("127.0.0.1");
    expect(control.port).toBeGreaterThan(0);
    expect(control.url).toBe(`http://127.0.0.1:${control.port}`);
  });

  it("GET /state: the model state of every unit, server stats and fault counts", async () => {
    const c = await client(2);
    await c.writeCoil(MAP.coil.heater, true);
    const a = await call("GET", "/state");
    expect(a.status).toBe(200);
    expect(a.body.ok).toBe(true);
    const data = a.body.data as unknown as {
      transport: string;
      port: number;
      unitIds: number[];
      units: { unitId: number; model: string; state: Record<string, unknown> }[];
      stats: { requests: number };
      faults: Record<string, number>;
    };
    expect(data).toMatchObject({ transport: "tcp", host: "127.0.0.1", port: sim.port, unitIds: [1, 2] });
    expect(data.units.map((u) => [u.unitId, u.model, u.state.heater])).toEqual([
      [1, "greenhouse", false],
      [2, "greenhouse", true],
    ]);
    expect(data.units[0]!.state.temperatureC).toBe(20);
    expect(data.stats.requests).toBe(1);
    expect(data.faults["no-answer"]).toBe(0);
  });

  it("POST /faults refuses bad JSON, unknown modes, unknown keys and bad values with LOS_E_REQUEST_INVALID", async () => {
    expectInvalid(await call("POST", "/faults", "{mode: no-answer"), 400, "the request body is not JSON");
    expectInvalid(await call("POST", "/faults"), 400, "the request needs a JSON body");
    expectInvalid(await call("POST", "/faults", { mode: "explode" }), 400, /^unknown fault mode "explode"; use one of none, no-answer, exception, drop, garbage, bad-crc, truncated, slow$/);
    expectInvalid(await call("POST", "/faults", [1]), 400, "fault: expected a JSON object");
    expectInvalid(await call("POST", "/faults", { mode: "drop", unit: 1 }), 400, /^fault: unknown key "unit"; allowed: mode, unitId/);
    expectInvalid(await call("POST", "/faults", { mode: "drop", unitId: 7 }), 400, "unitId 7: the simulator serves unit ids [1, 2]");
    expectInvalid(await call("POST", "/faults", { mode: "drop", count: 0 }), 400, /^count must be an integer 1\.\./);
    expectInvalid(await call("POST", "/faults", { mode: "exception", exceptionCode: "4" }), 400, 'exceptionCode must be an integer 1..255, got "4"');
    expectInvalid(await call("POST", "/faults", { mode: "slow", delayMs: -1 }), 400, "delayMs must be >= 0, got -1");
    expectInvalid(await call("POST", "/faults", { mode: "drop", functionCodes: [] }), 400, /^functionCodes must be a non-empty array/);
    expect(sim.faults.rules()).toEqual([]);
  });

  it("no-answer through the API: the Modbus client times out; DELETE /faults clears it and requests are answered again", async () => {
    const c = await client(1, 200);
    const added = await call("POST", "/faults", { mode: "no-answer", unitId: 1 });
    expect(added.status).toBe(201);
    expect(added.body.data).toMatchObject({ rule: { mode: "no-answer", unitId: 1, applied: 0 } });
    expect((await rejection(c.readInputRegisters(MAP.input.temperature, 1))).message).toBe("Timed out");
    expect((await rejection(c.readInputRegisters(MAP.input.temperature, 1))).message).toBe("Timed out");
    const listed = await call("GET", "/faults");
    expect(listed.body.data).toMatchObject({ rules: [{ mode: "no-answer", applied: 2 }], counts: { "no-answer": 2 } });

    const cleared = await call("DELETE", "/faults");
    expect(cleared.body).toMatchObject({ ok: true, data: { removed: 1, rules: [] } });
    expect((await c.readInputRegisters(MAP.input.temperature, 1)).data).toEqual([200]);
  });

  it("exception codes, scoped by unit and counted; DELETE /faults?unit= and /faults/<id> remove only their rules", async () => {
    const one = await client(1);
    const two = await client(2);
    await call("POST", "/faults", { mode: "exception", exceptionCode: 6, unitId: 1 });
    const forTwo = await call("POST", "/faults", { mode: "exception", unitId: 2, functionCodes: [4] });
    expect((await rejection(one.readHoldingRegisters(0, 1))).modbusCode).toBe(6);
    expect((await rejection(two.readInputRegisters(0, 1))).modbusCode).toBe(4); // default: server device failure
    expect((await two.readHoldingRegisters(0, 1)).data).toEqual([210]); // function code 3 is not in the rule

    expect((await call("DELETE", "/faults?unit=1")).body.data).toMatchObject({ removed: 1, rules: [{ unitId: 2 }] });
    expect((await one.readHoldingRegisters(0, 1)).data).toEqual([210]);
    const id = (forTwo.body.data as unknown as { rule: { id: number } }).rule.id;
    expect((await call("DELETE", `/faults/${id}`)).body).toMatchObject({ ok: true, data: { rules: [] } });
    expect((await two.readInputRegisters(0, 1)).data).toEqual([200]);
    expectInvalid(await call("DELETE", `/faults/${id}`), 404, /^no active fault rule/);
    expect((await call("DELETE", "/faults?unit=9")).body.error).toMatchObject({ code: "LOS_E_DEVICE_UNKNOWN" });
  });

  it("dropped connection, garbage and bad-CRC frames through the API, with count and replace", async () => {
    // a fresh connection for each: leftover garbage would confuse the client's framing
    await call("POST", "/faults", { mode: "garbage", garbageLength: 16, count: 1 });
    expect((await rejection((await client(1, 300)).readHoldingRegisters(0, 2))).message).toEqual(expect.any(String));
    await call("POST", "/faults", { mode: "bad-crc", count: 1 });
    expect((await rejection((await client(1, 300)).readHoldingRegisters(0, 2))).message).toMatch(/length/i);
    expect((await call("GET", "/faults")).body.data).toMatchObject({ rules: [], counts: { garbage: 1, "bad-crc": 1 } });

    const c = await client(1, 300);
    let closed = false;
    c.on("close", () => (closed = true));
    await call("POST", "/faults", { mode: "exception", exceptionCode: 2 });
    await call("POST", "/faults", { mode: "drop", count: 1, replace: true }); // replaces the exception rule
    expect((await call("GET", "/faults")).body.data).toMatchObject({ rules: [{ mode: "drop" }] });
    expect((await rejection(c.readHoldingRegisters(0, 1))).message).toBe("Timed out"); // modbus-serial times out pending requests on close
    await waitFor(() => closed, "connection closed");
    const again = await client(1);
    expect((await again.readHoldingRegisters(0, 1)).data).toEqual([210]);
  });

  it("POST /step advances every model; a bad step is refused", async () => {
    const c = await client(1);
    await c.writeCoil(MAP.coil.heater, true);
    const a = await call("POST", "/step", { ms: 10 * 60_000 });
    expect(a.status).toBe(200);
    const units = (a.body.data as unknown as { units: { state: { temperatureC: number; elapsedMs: number } }[] }).units;
    expect(units.map((u) => u.state.elapsedMs)).toEqual([600_000, 600_000]);
    expect(units[0]!.state.temperatureC).toBeGreaterThan(units[1]!.state.temperatureC + 5); // unit 1 heats, unit 2 does not
    expectInvalid(await call("POST", "/step", { ms: 0 }), 400, /^ms must be > 0 and at most 86400000/);
    expectInvalid(await call("POST", "/step", { ms: "1s" }), 400, 'ms must be a number, got "1s"');
    expectInvalid(await call("POST", "/step", { seconds: 1 }), 400, 'step: unknown key "seconds"; allowed: ms');
  });

  it("PUT /units/<id>/registers sets raw values the model keeps: a temperature survives a client coil write", async () => {
    const c = await client(1);
    const put = await call("PUT", "/units/1/registers", { kind: "input", address: MAP.input.temperature, values: [305] });
    expect(put.body).toEqual({ ok: true, data: { unitId: 1, kind: "input", address: 0, values: [305] } });
    await c.writeCoil(MAP.coil.vent, true);
    expect((await c.readInputRegisters(MAP.input.temperature, 1)).data).toEqual([305]);
    const state = (await call("GET", "/state")).body.data as unknown as { units: { state: { temperatureC: number; vent: boolean } }[] };
    expect(state.units[0]!.state).toMatchObject({ temperatureC: 30.5, vent: true });

    // bits as booleans; derived registers are rewritten by the model (the status word follows the coils)
    const heater = await call("PUT", "/units/2/registers", { kind: "coil", address: MAP.coil.heater, values: [true] });
    expect(heater.body.data).toMatchObject({ values: [true] });
    const status = await call("GET", `/units/2/registers?kind=input&address=${MAP.input.status}`);
    expect(status.body.data).toEqual({ unitId: 2, kind: "input", address: MAP.input.status, values: [1] });
    const forced = await call("PUT", "/units/2/registers", { kind: "input", address: MAP.input.status, values: [0xff] });
    expect(forced.body.data).toMatchObject({ values: [1] });

    expectInvalid(await call("PUT", "/units/1/registers", { kind: "input", address: 7, values: [1] }), 400, "input 7..7 is not in unit 1's register map");
    expectInvalid(await call("PUT", "/units/1/registers", { kind: "holding", address: 0, values: [70000] }), 400, "values[0] must be an integer 0..65535, got 70000");
    expectInvalid(await call("PUT", "/units/1/registers", { kind: "coil", address: 0, values: ["on"] }), 400, 'values[0] must be true or false for coil, got "on"');
    expectInvalid(await call("PUT", "/units/1/registers", { kind: "eeprom", address: 0, values: [1] }), 400, /^kind must be one of coil, discrete, input, holding/);
    expectInvalid(await call("GET", "/units/1/registers?kind=input"), 400, /^\?address= must be an integer/);
    const unknown = await call("PUT", "/units/3/registers", { kind: "input", address: 0, values: [1] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: "LOS_E_DEVICE_UNKNOWN", message: 'the simulator serves unit ids [1, 2], not "3"' });
  });

  it("unknown routes answer 404 and wrong methods 405, both in the envelope", async () => {
    expectInvalid(await call("GET", "/nope"), 404, /^no route GET \/nope/);
    expectInvalid(await call("DELETE", "/state"), 405, "DELETE /state: use GET");
    expectInvalid(await call("POST", "/faults", "x".repeat(70 * 1024)), 413, "the request body exceeds 65536 bytes");
  });
});
