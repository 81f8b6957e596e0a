/**
 * Security of the OPC-UA simulator: Sign and SignAndEncrypt with Basic256Sha256 and a client
 * certificate the server must trust, user name/password (good and wrong), anonymous refused when
 * disabled, and an X509 user identity.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MessageSecurityMode, SecurityPolicy, StatusCodes, UserTokenType } from "node-opcua";
import { startOpcuaSimulator, type OpcuaSimulator } from "../../simulators/opcua/simulator.js";
import { closeSession, createTestClient, openSession, readValue, tempDir, type TestClient } from "./opcua-helpers.js";

const pki = tempDir("opcua-security-");
let sim: OpcuaSimulator;
const clients: TestClient[] = [];

beforeAll(async () => {
  sim = await startOpcuaSimulator({ pkiDir: `${pki.dir}/server`, users: { operator: "s3cret" }, allowAnonymous: false });
});

afterAll(async () => {
  for (const c of clients) await c.client.disconnect().catch(() => {});
  await sim?.close();
  pki.remove();
});

async function secureClient(name: string, mode: MessageSecurityMode): Promise<TestClient> {
  const policy = mode === MessageSecurityMode.None ? SecurityPolicy.None : SecurityPolicy.Basic256Sha256;
  const c = await createTestClient({ pkiDir: `${pki.dir}/${name}`, securityMode: mode, securityPolicy: policy });
  clients.push(c);
  await c.trustServer(sim.serverCertificate().der);
  return c;
}

describe("OPC-UA simulator: security", () => {
  it("exposes its certificate with a thumbprint and keeps its PKI in the given directory", async () => {
    const cert = sim.serverCertificate();
    expect(cert.thumbprint).toMatch(/^[0-9a-f]{40}$/);
    expect(cert.pem).toContain("-----BEGIN CERTIFICATE-----");
    expect(sim.pkiDir).toBe(`${pki.dir}/server`);
    const probe = await secureClient("probe", MessageSecurityMode.None);
    await probe.client.connect(sim.endpointUrl);
    const endpoints = await probe.client.getEndpoints();
    await probe.client.disconnect();
    const offered = endpoints.map((e) => `${MessageSecurityMode[e.securityMode]} ${e.securityPolicyUri?.split("#")[1]}`);
    expect(new Set(offered)).toEqual(new Set(["None None", "Sign Basic256Sha256", "SignAndEncrypt Basic256Sha256"]));
    expect(Buffer.from(endpoints.find((e) => e.securityMode === MessageSecurityMode.Sign)!.serverCertificate!)).toEqual(cert.der);
  });

  it("refuses a Sign channel from an untrusted client certificate, accepts it once trusted", async () => {
    const c = await secureClient("signer", MessageSecurityMode.Sign);
    await expect(c.client.connect(sim.endpointUrl)).rejects.toThrow(/rejected|Bad/i);
    await c.client.disconnect();
    await sim.trustClientCertificate(c.certificate);
    const session = await openSession(c.client, sim.endpointUrl, { type: UserTokenType.UserName, userName: "operator", password: "s3cret" });
    expect((await readValue(session, "ns=1;s=Tank.Level")).statusCode).toBe(StatusCodes.Good);
    await closeSession(c.client, session);
  });

  it("SignAndEncrypt with a user name: the right password opens a session, a wrong one is refused", async () => {
    const c = await secureClient("encrypter", MessageSecurityMode.SignAndEncrypt);
    await sim.trustClientCertificate(c.certificate);
    await c.client.connect(sim.endpointUrl);
    await expect(c.client.createSession({ type: UserTokenType.UserName, userName: "operator", password: "wrong" })).rejects.toThrow(/BadUserAccessDenied|BadIdentityTokenRejected/);
    await expect(c.client.createSession({ type: UserTokenType.UserName, userName: "nobody", password: "s3cret" })).rejects.toThrow(/BadUserAccessDenied|BadIdentityTokenRejected/);
    const session = await c.client.createSession({ type: UserTokenType.UserName, userName: "operator", password: "s3cret" });
    expect((await readValue(session, "ns=1;s=Tank.PumpCommand")).statusCode).toBe(StatusCodes.Good);
    await closeSession(c.client, session);
  });

  it("refuses anonymous sessions when allowAnonymous is false", async () => {
    const c = await secureClient("anonymous", MessageSecurityMode.None);
    await c.client.connect(sim.endpointUrl);
    const endpoints = await c.client.getEndpoints();
    const tokens = new Set(endpoints.flatMap((e) => (e.userIdentityTokens ?? []).map((t) => UserTokenType[t.tokenType])));
    expect(tokens).toEqual(new Set(["UserName", "Certificate"]));
    // the endpoints offer no anonymous token policy, so the client cannot even ask
    await expect(c.client.createSession()).rejects.toThrow(/ANONYMOUS user token/);
    await c.client.disconnect();
  });

  it("accepts an X509 user identity whose certificate it trusts", async () => {
    const c = await secureClient("x509", MessageSecurityMode.SignAndEncrypt);
    await sim.trustClientCertificate(c.certificate.toString("base64").replace(/.{1,64}/g, "$&\n").replace(/^/, "-----BEGIN CERTIFICATE-----\n") + "-----END CERTIFICATE-----\n");
    await c.client.connect(sim.endpointUrl);
    const session = await c.client.createSession({ type: UserTokenType.Certificate, certificateData: c.certificate, privateKey: c.privateKeyPem });
    expect((await readValue(session, "ns=1;s=Tank.Level")).statusCode).toBe(StatusCodes.Good);
    await closeSession(c.client, session);
  });
});
