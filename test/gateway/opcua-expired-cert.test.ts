/**
 * A server certificate outside its validity period is refused even when the operator trusted it.
 *
 * Two simulators get their own certificate made here before they start (the server reuses
 * `<pkiDir>/server/own/certs/certificate.pem` and `own/private/private_key.pem` when they exist):
 * one EXPIRED (valid for one day, ten days ago) and one NOT YET VALID (valid from tomorrow).
 * node-opcua starts a server with either (it only warns about its own certificate), so both cases
 * run against a real server. Each certificate first lands in the gateway's rejected/ (unknown),
 * is moved to trusted/certs with the store function behind `llmagentos certs trust`, and the next
 * Sign connect is still refused: LOS_E_DEVICE_CERT_UNTRUSTED naming BadCertificateTimeInvalid.
 * A device reading the expired server with security None (no certificate check) keeps running.
 *
 * Devices on one endpoint share one session, so the None device reaches the expired server through
 * its own endpoint URL (a different path: the server ignores it, the gateway keys on it).
 */
import { existsSync, readdirSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { OPCUACertificateManager } from "node-opcua";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../src/gateway.js";
import { listCertificates, pkiRoot, trustCertificate } from "../../src/devices/opcua/opcua-pki.js";
import { startOpcuaSimulator, type OpcuaSimulator } from "../../simulators/opcua/simulator.js";
import { removeDir, tempDir, waitFor } from "./helpers.js";
import { opcuaConnection, startOpcuaGateway, testProfile } from "./opcua-harness.js";

const DAY_MS = 24 * 3600 * 1000;
const profile = testProfile("tank-level", [{ name: "level", nodeId: "ns=1;s=Tank.Level", type: "Double", unit: "m" }]);
const sign = { securityMode: "Sign", securityPolicy: "Basic256Sha256" };

let expiredSim: OpcuaSimulator;
let pendingSim: OpcuaSimulator;
let gateway: Gateway;
let dataDir: string;
let simDir: string;

/** The server's own certificate and key in `<pkiDir>/server`, valid from `startDate` for `days`. */
async function makeServerCertificate(pkiDir: string, applicationUri: string, startDate: Date, days: number): Promise<void> {
  const manager = new OPCUACertificateManager({ rootFolder: join(pkiDir, "server"), automaticallyAcceptUnknownCertificate: true, disableFileWatchers: true });
  await manager.initialize(); // makes own/private/private_key.pem
  try {
    await manager.createSelfSignedCertificate({
      applicationUri,
      subject: `/CN=${applicationUri.split(":").pop()}/O=LLMAgentOS test`,
      dns: [...new Set(["localhost", os.hostname()])],
      startDate,
      validity: days,
      outputFile: join(manager.rootDir, "own", "certs", "certificate.pem"),
    });
  } finally {
    await manager.dispose();
  }
}

async function startSimulator(name: string, startDate: Date, days: number): Promise<OpcuaSimulator> {
  const pkiDir = join(simDir, name);
  // the simulator's namespaceUri is the server's applicationUri: the certificate must carry it
  const applicationUri = `urn:llmagentos:test:${name}-server`;
  await makeServerCertificate(pkiDir, applicationUri, startDate, days);
  return startOpcuaSimulator({ pkiDir, namespaceUri: applicationUri, autoAcceptCertificates: true, tickMs: 100, waterTank: { levelM: 2 } });
}

beforeAll(async () => {
  simDir = await tempDir("los-opcua-expired-sim-");
  dataDir = await tempDir("los-opcua-expired-");
  const now = Date.now();
  [expiredSim, pendingSim] = await Promise.all([startSimulator("expired", new Date(now - 10 * DAY_MS), 1), startSimulator("pending", new Date(now + DAY_MS), 30)]);
  gateway = await startOpcuaGateway(dataDir, [
    { id: "expired", profile, connection: opcuaConnection(expiredSim.endpointUrl, sign) },
    { id: "pending", profile, connection: opcuaConnection(pendingSim.endpointUrl, sign) },
    { id: "plain", profile, connection: opcuaConnection(`${expiredSim.endpointUrl}/plain`) },
  ]);
}, 30_000);

afterAll(async () => {
  await gateway?.close();
  await Promise.all([expiredSim?.close(), pendingSim?.close()]);
  if (dataDir) await removeDir(dataDir);
  if (simDir) await removeDir(simDir);
});

const health = (id: string) => gateway.devices.health()[id]!;
const pki = () => pkiRoot(dataDir);

/** Unknown first (rejected/), then trusted with the store, then refused for its validity period. */
async function trustedButRefused(id: string, sim: OpcuaSimulator): Promise<void> {
  const thumbprint = sim.serverCertificate().thumbprint;
  // the first connect makes the gateway's own certificate (a 2048-bit key): allow for it
  await waitFor(() => health(id).lastError?.message.includes("BadCertificateUntrusted"), { what: `${id}: unknown certificate refused`, timeoutMs: 15_000 });
  await waitFor(() => existsSync(join(pki(), "rejected")) && readdirSync(join(pki(), "rejected")).some((f) => f.includes(thumbprint)), { what: `${id}: certificate in rejected/` });

  expect(trustCertificate(pki(), thumbprint)).toMatchObject({ state: "trusted", thumbprint, valid: false });

  // the next attempt (backoff, then a secure-channel handshake that may take seconds on a loaded machine)
  await waitFor(() => health(id).lastError?.message.includes("BadCertificateTimeInvalid"), { what: `${id}: trusted certificate refused for its validity`, timeoutMs: 45_000 }).catch(
    (err: Error) => {
      throw new Error(`${err.message}; last error: ${JSON.stringify(health(id).lastError)}`);
    },
  );
  const error = health(id).lastError!;
  expect(error.code).toBe("LOS_E_DEVICE_CERT_UNTRUSTED");
  expect(error.message).toContain(sim.endpointUrl);
  expect(health(id).connected).toBe(false);
  await waitFor(() => health(id).available === false, { what: `${id} unavailable` });
  expect(gateway.live.get(`${id}/level`)).toMatchObject({ quality: "bad", error: "LOS_E_DEVICE_CERT_UNTRUSTED" });
  // refused, not re-rejected: the operator's verdict stays as it was
  const stored = listCertificates(pki()).filter((c) => c.thumbprint === thumbprint);
  expect(stored.map((c) => c.state)).toEqual(["trusted"]);
}

describe("OPC-UA server certificate outside its validity period", () => {
  it("an expired server certificate is refused after it was trusted, while another device keeps running", async () => {
    await trustedButRefused("expired", expiredSim);
    const stored = listCertificates(pki()).find((c) => c.thumbprint === expiredSim.serverCertificate().thumbprint)!;
    expect(Date.parse(stored.validTo)).toBeLessThan(Date.now());

    await waitFor(() => gateway.live.get("plain/level")?.quality === "good", { what: "plain/level good" });
    expect(gateway.live.get("plain/level")!.value as number).toBeCloseTo(2, 0);
    expect(health("plain")).toMatchObject({ available: true, connected: true });
  }, 90_000);

  it("a server certificate that is not yet valid is refused after it was trusted", async () => {
    await trustedButRefused("pending", pendingSim);
    const stored = listCertificates(pki()).find((c) => c.thumbprint === pendingSim.serverCertificate().thumbprint)!;
    expect(Date.parse(stored.validFrom)).toBeGreaterThan(Date.now());
    // the expired one is still refused and the None device still runs
    expect(health("expired").lastError?.code).toBe("LOS_E_DEVICE_CERT_UNTRUSTED");
    await waitFor(() => gateway.live.get("plain/level")?.quality === "good", { what: "plain/level still good" });
  }, 90_000);
});
