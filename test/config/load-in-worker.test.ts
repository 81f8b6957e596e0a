/**
 * loadConfigInWorker gives what loadConfig gives — the same LoadedConfig, the same LosError (code,
 * message, details with file, line and path) — and a gateway built from it never loads yaml nor
 * TypeBox (checked in a fresh Node process that records every module its main thread resolves).
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { LosError } from "../../src/core/errors.js";
import { loadConfig, loadConfigValue } from "../../src/config/load.js";
import { loadConfigInWorker, loadConfigValueInWorker } from "../../src/config/load-in-worker.js";
import { BAD_PROFILES, FIXTURES, PROFILES, baseConfig, catchLos, tcpDevice, tempDir, writeFile } from "./helpers.js";

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

function dir(): string {
  const t = tempDir("los-load-worker-");
  cleanup = t.cleanup;
  return t.dir;
}

async function rejection(p: Promise<unknown>): Promise<LosError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(LosError);
    return err as LosError;
  }
  throw new Error("expected a LosError, the promise resolved");
}

const root = resolve(import.meta.dirname, "../..");
const src = (p: string): string => pathToFileURL(join(root, p)).href;

// Resolve hook of the probe: reports every module URL the probe's main thread resolves (hooks
// registered with module.register in Node 20 do not see a worker's imports).
const HOOKS = `
let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  port.postMessage(r.url);
  return r;
}
`;

const PROBE = (hooks: string, configFile: string) => `
import { createRequire, register } from "node:module";
import { MessageChannel } from "node:worker_threads";
const { port1, port2 } = new MessageChannel();
const resolved = new Set();
port1.on("message", (url) => resolved.add(url));
port1.unref();
register(${JSON.stringify(pathToFileURL(hooks).href)}, import.meta.url, { data: { port: port2 }, transferList: [port2] });

const require = createRequire(import.meta.url);
const LIBS = /node_modules[/](yaml|@sinclair[/]typebox)[/]/;
const libs = () => [...new Set([...resolved, ...Object.keys(require.cache)].map((u) => LIBS.exec(u)?.[1]).filter(Boolean))].sort();
const until = async (what, ok) => {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!ok()) throw new Error("timed out waiting for " + what);
};

const { loadConfigInWorker } = await import("${src("src/config/load-in-worker.ts")}");
const { buildGateway } = await import("${src("src/gateway.ts")}");
const { startModbusTcpServer } = await import("${src("simulators/modbus/tcp-server.ts")}");
const { RegisterBank } = await import("${src("simulators/modbus/register-bank.ts")}");

const bank = new RegisterBank();
bank.setWord("input", 2, 456);
const server = await startModbusTcpServer({ banks: new Map([[1, bank]]) });
const config = await loadConfigInWorker(${JSON.stringify(configFile)});
config.devices[0].connection.port = server.port;
const gateway = await buildGateway(config);
const humidity = () => {
  gateway.store.telemetry.flush();
  return gateway.store.telemetry.last("d1/humidity")?.value;
};
await until("a reading", () => humidity() !== undefined);
const reading = humidity();
await gateway.close();
await server.close();
const gatewayOnly = libs();
// the control: loading the config in this thread does load both (the recorder sees them)
await import("${src("src/config/load.ts")}");
await until("the control", () => libs().length === 2);
console.log(JSON.stringify({ devices: config.devices.length, reading, gatewayOnly, control: libs() }));
`;

function runProbe(file: string): Promise<string> {
  return new Promise((res, rej) => {
    execFile(process.execPath, ["--import", "tsx", file], { cwd: root, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) rej(new Error(`${err.message}\n${stderr}`));
      else res(stdout);
    });
  });
}

const shape = (e: LosError) => ({ name: e.name, code: e.code, message: e.message, details: e.details });

describe("loadConfigInWorker", () => {
  it("returns the same resolved config as loadConfig, profiles shared between devices of one model", async () => {
    const d = dir();
    const file = writeFile(d, "gw.yaml", `${baseConfig()}\ndevices:\n${tcpDevice("a", 1)}\n${tcpDevice("b", 2)}\n`);
    const loaded = await loadConfigInWorker(file);
    expect(loaded).toEqual(loadConfig(file));
    expect(loaded.devices).toHaveLength(2);
    expect(loaded.devices[0]!.profile).toBe(loaded.devices[1]!.profile);
    expect(await loadConfigInWorker(join(FIXTURES, "gateway.yaml"))).toEqual(loadConfig(join(FIXTURES, "gateway.yaml")));
  });

  it("a config value gives the same result as loadConfigValue", async () => {
    const value = {
      site: "s",
      gateway: "g",
      dataDir: "./data",
      profilesDir: PROFILES,
      bus: { listeners: [{ kind: "tcp", host: "127.0.0.1", port: 0 }] },
      devices: [{ id: "d1", profile: "acme/climate", connection: { type: "modbus-tcp", host: "127.0.0.1", port: 502, unitId: 1 } }],
    };
    expect(await loadConfigValueInWorker(value, "/tmp", "demo")).toEqual(loadConfigValue(value, "/tmp", "demo"));
    const bad = { ...value, devices: [{ ...value.devices[0], connection: { type: "modbus-tcp", host: "h", port: 70_000, unitId: 1 } }] };
    const e = await rejection(loadConfigValueInWorker(bad, "/tmp", "demo"));
    expect(shape(e)).toEqual(shape(catchLos(() => loadConfigValue(bad, "/tmp", "demo"))));
    expect(e.code).toBe("LOS_E_CONFIG_INVALID");
  });

  it("rejects with loadConfig's own errors: missing file, YAML syntax, schema, profile and cross-reference problems", async () => {
    const d = dir();
    const cases = {
      missing: join(d, "nope.yaml"),
      syntax: writeFile(d, "syntax.yaml", "site: [\n"),
      schema: writeFile(d, "schema.yaml", `${baseConfig()}\ndevices:\n${tcpDevice("a", 1)}\n      bogus: 1\n`),
      profile: writeFile(d, "profile.yaml", `${baseConfig()}\ndevices:\n${tcpDevice("a", 1, 502, join(BAD_PROFILES, "overlap.yaml"))}\n`),
      reference: writeFile(d, "ref.yaml", `${baseConfig()}\ndevices:\n${tcpDevice("a", 1)}\n${tcpDevice("b", 1)}\n`),
    };
    const got: Record<string, LosError> = {};
    for (const [name, file] of Object.entries(cases)) {
      const inWorker = await rejection(loadConfigInWorker(file));
      const direct = catchLos(() => loadConfig(file));
      expect(shape(inWorker), name).toEqual(shape(direct));
      expect(inWorker.hint).toBe(direct.hint);
      got[name] = inWorker;
    }
    expect(Object.fromEntries(Object.entries(got).map(([name, e]) => [name, e.code]))).toEqual({
      missing: "LOS_E_CONFIG_NOT_FOUND",
      syntax: "LOS_E_CONFIG_PARSE",
      schema: "LOS_E_CONFIG_INVALID",
      profile: "LOS_E_CONFIG_INVALID",
      reference: "LOS_E_CONFIG_INVALID",
    });
    // the line of the bad key survives the trip
    const bogusLine = readFileSync(cases.schema, "utf8").split("\n").findIndex((l) => l.includes("bogus")) + 1;
    expect((got.schema!.details.problems as { line?: number }[])[0]!.line).toBe(bogusLine);
    // the file system error is kept as the cause
    expect((got.missing!.cause as Error).message).toMatch(/ENOENT/);
  });

  it("a gateway built from it polls a device without loading yaml or TypeBox in its own thread", async () => {
    const d = dir();
    const configFile = writeFile(d, "gw.yaml", `${baseConfig()}\ndevices:\n${tcpDevice("d1", 1)}\n    pollMs: 50\n`);
    const hooks = writeFile(d, "hooks.mjs", HOOKS);
    const probe = writeFile(d, "probe.mjs", PROBE(hooks, configFile));
    const out = JSON.parse((await runProbe(probe)).trim().split("\n").pop()!) as Record<string, unknown>;
    expect(out).toEqual({ devices: 1, reading: 45.6, gatewayOnly: [], control: ["@sinclair/typebox", "yaml"] });
  });
});
