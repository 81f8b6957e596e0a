/**
 * Serial devices through buildGateway: a GPS, a weather station and a command/response sensor on
 * simulator ptys; readings into SQLite history and onto the bus with units; an operator write
 * through the envelope to the sensor; a missing port leaves the rest of the gateway running.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startSerialSimulator, type SerialSimulator } from "../../simulators/serial/simulator.js";
import { topics } from "../../src/core/topics.js";
import { loadConfigValue } from "../../src/config/load.js";
import { buildGateway, type Gateway } from "../../src/gateway.js";
import { collect, removeDir, tempDir, TEST_SCRYPT, waitFor } from "./helpers.js";

let gateway: Gateway | undefined;
let sims: SerialSimulator[] = [];
let dataDir: string | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
  if (dataDir) await removeDir(dataDir);
  dataDir = undefined;
});

const serial = (path: string, extra: Record<string, unknown> = {}) => ({ type: "serial", path, baudRate: 115200, reconnectMinMs: 20, reconnectMaxMs: 100, ...extra });

describe("serial devices in the gateway", () => {
  it("GPS, weather and a command sensor into history and onto the bus; a write reaches the sensor", async () => {
    const start = (model: "gps" | "weather" | "command") => startSerialSimulator({ model, pty: true, baudRate: 115200, periodMs: 50, responseDelayMs: 1 });
    sims = await Promise.all([start("gps"), start("weather"), start("command")]);
    const [gps, wx, cmd] = sims as [SerialSimulator, SerialSimulator, SerialSimulator];
    dataDir = await tempDir();
    const config = loadConfigValue(
      {
        site: "test-site",
        gateway: "gw1",
        dataDir,
        bus: { listeners: [{ kind: "tcp", host: "127.0.0.1", port: 0, allowAnonymous: true }] },
        history: { flushMs: 50 },
        tenants: [{ id: "field" }],
        devices: [
          { id: "gps", tenant: "field", profile: "generic/nmea-gps", connection: serial(gps.path) },
          { id: "wx", tenant: "field", profile: "airmar/200wx", connection: serial(wx.path) },
          { id: "thp", tenant: "field", profile: "llmagentos/command-thp-sim", connection: serial(cmd.path), pollMs: 50 },
          { id: "gone", tenant: "field", profile: "llmagentos/csv-thp-sim", connection: serial(`${dataDir}/no-such-tty`) },
        ],
        agents: [],
      },
      dataDir,
    );
    gateway = await buildGateway(config, { scrypt: TEST_SCRYPT });
    const g = gateway;
    const [listener] = g.broker.listeners();
    const mqtt = await import("mqtt");
    const client = await mqtt.default.connectAsync(`mqtt://127.0.0.1:${listener!.port}`, { reconnectPeriod: 0 });
    try {
      const seen = collect(client);
      await client.subscribeAsync([topics.deviceState(g.scope, "gps"), topics.deviceState(g.scope, "wx"), topics.deviceStatus(g.scope, "gone")]);

      await waitFor(() => g.live.get("gps/latitude")?.quality === "good" && g.live.get("wx/pressure")?.quality === "good" && g.live.get("thp/rate")?.quality === "good", {
        what: "live readings of all three",
      });
      await waitFor(() => (g.store.telemetry.flush(), g.store.telemetry.last("gps/latitude")?.quality === "good"), { what: "latitude in history" });
      expect(g.store.telemetry.last("gps/latitude")!.value as number).toBeCloseTo(48.1173, 1);
      await waitFor(() => (g.store.telemetry.flush(), g.store.telemetry.last("wx/temperature")?.quality === "good"), { what: "weather in history" });

      const state = await waitFor(() => seen.last(topics.deviceState(g.scope, "wx"))?.points as Record<string, { v: unknown; q: string; u?: string }> | undefined, {
        what: "weather state on the bus",
      });
      await waitFor(() => (seen.last(topics.deviceState(g.scope, "wx"))!.points as Record<string, unknown>).pressure, { what: "pressure on the bus" });
      const points = seen.last(topics.deviceState(g.scope, "wx"))!.points as Record<string, { v: unknown; q: string; u?: string }>;
      expect(state).toBeDefined();
      expect(points.pressure).toMatchObject({ q: "good", u: "hPa" });
      const gone = await waitFor(() => seen.last(topics.deviceStatus(g.scope, "gone")), { what: "missing port status" });
      expect(gone).toMatchObject({ available: false, error: "LOS_E_SERIAL_PORT_MISSING" });

      const res = await g.actuate({ kind: "operator", id: "tester" }, "thp/rate", 10, "serial test");
      expect(res).toMatchObject({ ok: true });
      expect((cmd.device as unknown as { rate: number }).rate).toBe(10);
      await waitFor(() => g.live.get("thp/rate")?.value === 10, { what: "rate read back" });
      const refused = await g.actuate({ kind: "operator", id: "tester" }, "thp/rate", 500, "beyond the envelope");
      expect(refused).toMatchObject({ ok: false });
      expect((cmd.device as unknown as { rate: number }).rate).toBe(10);
    } finally {
      await client.endAsync(true);
    }
  });
});
