/**
 * OPC-UA security through the gateway against a simulator that refuses anonymous users: an
 * untrusted server certificate (the connection fails, the certificate lands in rejected/), trusted
 * with `llmagentos certs trust`, then Sign and SignAndEncrypt sessions with a user name; a wrong
 * password and a policy the server does not offer are coded errors while the other devices run.
 *
 * Devices on one endpoint share one session, so each device here reaches the same server through
 * its own endpoint URL (a different path: the server ignores it, the gateway keys on it).
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../src/gateway.js";
import { startOpcuaSimulator, type OpcuaSimulator } from "../../simulators/opcua/simulator.js";
import { removeDir, tempDir, waitFor } from "./helpers.js";
import { opcuaConnection, startOpcuaGateway, testProfile } from "./opcua-harness.js";
import { runCli } from "../cli/run-cli.js";

let sim: OpcuaSimulator;
let gateway: Gateway;
let dataDir: string;
const ENV = { OPCUA_PW: "s3cret", OPCUA_BAD: "guess" };
const profile = testProfile("tank-level", [{ name: "level", nodeId: "ns=1;s=Tank.Level", type: "Double", unit: "m" }]);
const user = (passwordEnv: string) => ({ identity: { type: "username", username: "operator", passwordEnv } });

const cli = (args: string[]) => runCli(args, 30_000);

beforeAll(async () => {
  sim = await startOpcuaSimulator({ users: { operator: "s3cret" }, allowAnonymous: false, autoAcceptCertificates: true, tickMs: 100, waterTank: { levelM: 2 } });
  dataDir = await tempDir("los-opcua-sec-");
  const url = sim.endpointUrl;
  gateway = await startOpcuaGateway(
    dataDir,
    [
      { id: "enc", profile, connection: opcuaConnection(url, { securityMode: "SignAndEncrypt", ...user("OPCUA_PW") }) },
      { id: "sign", profile, connection: opcuaConnection(`${url}/sign`, { securityMode: "Sign", securityPolicy: "Basic256Sha256", ...user("OPCUA_PW") }) },
      { id: "wrong", profile, connection: opcuaConnection(`${url}/wrong`, { securityMode: "None", ...user("OPCUA_BAD") }) },
      { id: "policy", profile, connection: opcuaConnection(`${url}/policy`, { securityMode: "SignAndEncrypt", securityPolicy: "Aes256_Sha256_RsaPss", ...user("OPCUA_PW") }) },
    ],
    { env: ENV },
  );
}, 30_000);

afterAll(async () => {
  await gateway?.close();
  await sim?.close();
  if (dataDir) await removeDir(dataDir);
});

const health = (id: string) => gateway.devices.health()[id]!;

describe("OPC-UA security and identities", () => {
  it("an untrusted server certificate fails the connection with its thumbprint; certs trust lets it in", async () => {
    const thumbprint = sim.serverCertificate().thumbprint;
    await waitFor(() => health("enc").lastError?.code === "LOS_E_DEVICE_CERT_UNTRUSTED", { what: "enc: certificate untrusted" });
    expect(health("enc").lastError!.message).toContain(`llmagentos certs trust ${thumbprint}`);
    expect(health("enc").connected).toBe(false);
    await waitFor(() => health("sign").lastError?.code === "LOS_E_DEVICE_CERT_UNTRUSTED", { what: "sign: certificate untrusted" });
    await waitFor(() => health("enc").available === false, { what: "enc unavailable" });
    expect(gateway.live.get("enc/level")).toMatchObject({ quality: "bad", error: "LOS_E_DEVICE_CERT_UNTRUSTED" });
    expect(readdirSync(join(dataDir, "pki", "rejected")).join()).toContain(thumbprint);

    const listed = await cli(["certs", "list", "--json", "--data-dir", dataDir]);
    expect(listed.code).toBe(0);
    const certs = JSON.parse(listed.stdout) as { state: string; thumbprint: string }[];
    expect(certs).toEqual(expect.arrayContaining([expect.objectContaining({ state: "rejected", thumbprint }), expect.objectContaining({ state: "own" })]));

    const trusted = await cli(["certs", "trust", thumbprint.slice(0, 12), "--data-dir", dataDir]);
    expect(trusted.stderr).toBe("");
    expect(trusted.code).toBe(0);
    expect(trusted.stdout).toContain(`trusted ${thumbprint}`);

    await waitFor(() => gateway.live.get("enc/level")?.quality === "good", { what: "enc/level after trust" });
    await waitFor(() => gateway.live.get("sign/level")?.quality === "good", { what: "sign/level after trust" });
    expect(gateway.live.get("enc/level")!.value as number).toBeCloseTo(2, 1);
    expect(health("enc")).toMatchObject({ available: true, connected: true });
  }, 60_000);

  it("a wrong password is LOS_E_DEVICE_AUTH and makes only that device unavailable", async () => {
    await waitFor(() => health("wrong").available === false, { what: "wrong unavailable" });
    expect(health("wrong").lastError?.code).toBe("LOS_E_DEVICE_AUTH");
    expect(health("wrong").lastError?.message).toMatch(/BadUserAccessDenied|BadIdentityTokenRejected/);
    expect(gateway.live.get("wrong/level")).toMatchObject({ quality: "bad", error: "LOS_E_DEVICE_AUTH" });
    await waitFor(() => gateway.live.get("enc/level")?.quality === "good");
    expect(health("sign").available).toBe(true);
  });

  it("a security policy the endpoint does not offer is LOS_E_DEVICE_SECURITY listing what it offers", async () => {
    await waitFor(() => health("policy").lastError?.code === "LOS_E_DEVICE_SECURITY", { what: "policy: security mismatch" });
    expect(health("policy").lastError!.message).toContain("SignAndEncrypt/Basic256Sha256");
  });

  it("a password variable that is not set stops the gateway at start with LOS_E_SECRET_MISSING", async () => {
    const dir = await tempDir("los-opcua-secret-");
    try {
      await expect(
        startOpcuaGateway(dir, [{ id: "x", profile, connection: opcuaConnection(sim.endpointUrl, user("OPCUA_NOT_SET")) }], { env: {} }),
      ).rejects.toMatchObject({ code: "LOS_E_SECRET_MISSING" });
    } finally {
      await removeDir(dir);
    }
  });
});
