/**
 * Shared helpers for the gateway and CLI tests: a greenhouse simulator on loopback, a gateway config
 * built in code, MQTT clients, and bounded condition polling (a bound, never a measurement).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { ManualClock, systemClock, type Clock } from "../../src/core/clock.js";
import { loadConfigValue } from "../../src/config/load.js";
import { buildGateway, type Gateway, type GatewayOptions } from "../../src/gateway.js";
import { startModbusSimulator, type ModbusSimulator } from "../../simulators/modbus/simulator.js";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const TEST_SCRYPT = { N: 1024, r: 8, p: 1, keylen: 32 };

/** Poll `cond` every few ms until it holds; throws after `timeoutMs` of real time. */
export async function waitFor<T>(
  cond: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  { timeoutMs = 8000, what = "condition" }: { timeoutMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise<void>((r) => setTimeout(r, 5));
  }
}

export async function tempDir(prefix = "los-gw-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/**
 * The greenhouse simulator with its own clock held still: the model only moves when the test calls
 * `sim.step()` (or when a client write republishes its registers), so values are predictable.
 */
export function startGreenhouse(opts: { temperatureC?: number } = {}): Promise<ModbusSimulator> {
  return startModbusSimulator({
    transport: "tcp",
    port: 0,
    model: "greenhouse",
    unitIds: [1],
    clock: new ManualClock(),
    greenhouse: { temperatureC: opts.temperatureC ?? 20 },
  });
}

export interface ConfigOptions {
  simPort: number;
  dataDir: string;
  agents?: unknown[];
  limits?: Record<string, number>;
  pollMs?: number;
  timeoutMs?: number;
}

/** A one-device gateway config (gh1 on the simulator's unit 1), two MQTT listeners on loopback. */
export function gatewayConfigObject(o: ConfigOptions): Record<string, unknown> {
  return {
    site: "test-site",
    gateway: "gw1",
    dataDir: o.dataDir,
    bus: {
      listeners: [
        { kind: "tcp", host: "127.0.0.1", port: 0, allowAnonymous: true },
        { kind: "tcp", host: "127.0.0.1", port: 0 },
      ],
      ...(o.limits ? { limits: o.limits } : {}),
    },
    history: { flushMs: 50 },
    tenants: [{ id: "growers" }],
    devices: [
      {
        id: "gh1",
        tenant: "growers",
        profile: "llmagentos/greenhouse-sim",
        connection: {
          type: "modbus-tcp",
          host: "127.0.0.1",
          port: o.simPort,
          unitId: 1,
          timeoutMs: o.timeoutMs ?? 300,
          reconnectMinMs: 20,
          reconnectMaxMs: 200,
        },
        pollMs: o.pollMs ?? 50,
      },
    ],
    agents: o.agents ?? [],
  };
}

export interface Harness {
  sim: ModbusSimulator;
  gateway: Gateway;
  dataDir: string;
  /** port of the listener that allows anonymous loopback clients */
  anonPort: number;
  /** port of the listener that requires credentials */
  authPort: number;
  adminPassword(): string;
  connect(port: number, opts?: IClientOptions): Promise<MqttClient>;
  close(): Promise<void>;
}

export async function startHarness(
  o: Omit<ConfigOptions, "simPort" | "dataDir"> & { temperatureC?: number; options?: GatewayOptions } = {},
): Promise<Harness> {
  const sim = await startGreenhouse(o.temperatureC !== undefined ? { temperatureC: o.temperatureC } : {});
  const dataDir = await tempDir();
  const clients: MqttClient[] = [];
  let gateway: Gateway;
  try {
    const config = loadConfigValue(gatewayConfigObject({ ...o, simPort: sim.port!, dataDir }), dataDir);
    gateway = await buildGateway(config, { scrypt: TEST_SCRYPT, ...o.options });
  } catch (err) {
    await sim.close();
    await removeDir(dataDir);
    throw err;
  }
  const [anon, auth] = gateway.broker.listeners();
  let closed = false;
  return {
    sim,
    gateway,
    dataDir,
    anonPort: anon!.port,
    authPort: auth!.port,
    adminPassword: () => readFileSync(join(dataDir, "bus-admin-password"), "utf8").trim(),
    connect: async (port, opts = {}) => {
      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
      clients.push(c);
      return c;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
      await gateway.close();
      await sim.close();
      await removeDir(dataDir);
    },
  };
}

/** Collect JSON messages of one MQTT client by topic (latest per topic plus the full list). */
export function collect(client: MqttClient) {
  const messages: { topic: string; body: unknown; retain: boolean }[] = [];
  client.on("message", (topic, payload, packet) => {
    let body: unknown;
    try {
      body = JSON.parse(payload.toString("utf8"));
    } catch {
      body = payload.toString("utf8");
    }
    messages.push({ topic, body, retain: packet.retain });
  });
  return {
    messages,
    last: (topic: string) => messages.findLast((m) => m.topic === topic)?.body as Record<string, unknown> | undefined,
    on: (topic: string) => messages.filter((m) => m.topic === topic),
  };
}

/** Number of samples of `point` in history after a flush. */
export function sampleCountOf(gateway: Gateway, point: string): number {
  gateway.store.telemetry.flush();
  return gateway.store.telemetry.range(point, { since: 0 }).length;
}

/**
 * The system clock with its wall time held still until the test moves it: timers and monotonic
 * time run for real, but every timestamp (readings, rate-limit bases, audit) is `wall`, so the
 * envelope's rate limit sees exactly the elapsed time the test says.
 */
export class PinnedWallClock implements Clock {
  wall: number;
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.wall = start;
  }
  now(): number {
    return this.wall;
  }
  advance(ms: number): void {
    this.wall += ms;
  }
  monotonic(): number {
    return systemClock.monotonic();
  }
  setTimeout(fn: () => void, ms: number) {
    return systemClock.setTimeout(fn, ms);
  }
  clearTimeout(handle: Parameters<Clock["clearTimeout"]>[0]): void {
    systemClock.clearTimeout(handle);
  }
}

/**
 * Prove readings still flow: flip the simulator's door switch and wait until the new value is in
 * the live values and, after a flush, in history.
 */
export async function expectReadingsFlow(h: Harness): Promise<void> {
  const model = h.sim.model as unknown as { setDoor(open: boolean): void };
  const open = !h.sim.bank(1).getBit("discrete", 0);
  model.setDoor(open);
  await waitFor(() => h.gateway.live.get("gh1/door")?.value === open && h.gateway.live.get("gh1/door")?.quality === "good", {
    what: `door ${open} in live values`,
  });
  await waitFor(() => (h.gateway.store.telemetry.flush(), h.gateway.store.telemetry.last("gh1/door")?.value === open), {
    what: `door ${open} in history`,
  });
}
