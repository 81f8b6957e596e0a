/** Shared helpers for the OPC-UA simulator tests: node-opcua clients whose PKI lives in a temp dir. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  AttributeIds,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  type ClientSession,
  type DataValue,
  type UserIdentityInfo,
} from "node-opcua";

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ClientOptions {
  /** Client PKI folder (own certificate, trusted server certificates). */
  pkiDir: string;
  securityMode?: MessageSecurityMode;
  securityPolicy?: SecurityPolicy;
  /** Reconnect attempts after a connection loss (default 0: none). */
  maxRetry?: number;
  /** Trust any server certificate (default false: trust it with `trustServer`). */
  autoAcceptServer?: boolean;
}

export interface TestClient {
  client: OPCUAClient;
  /** The client's application certificate (DER), as made in its PKI folder. */
  certificate: Buffer;
  /** Its private key (PEM), e.g. for an X509 user identity. */
  privateKeyPem: string;
  /** Trust a server certificate (DER) in the client's PKI. */
  trustServer(der: Buffer): Promise<void>;
}

export async function createTestClient(options: ClientOptions): Promise<TestClient> {
  const client = await createClient(options);
  const certificate = readCertificateDer(path.join(options.pkiDir, "own/certs/client_certificate.pem"));
  const privateKeyPem = readFileSync(path.join(options.pkiDir, "own/private/private_key.pem"), "utf8");
  const manager = client.clientCertificateManager as OPCUACertificateManager;
  return { client, certificate, privateKeyPem, trustServer: (der) => manager.trustCertificate(der) };
}

function readCertificateDer(file: string): Buffer {
  const pem = readFileSync(file, "utf8");
  const body = /-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/.exec(pem)?.[1] ?? "";
  return Buffer.from(body.replace(/\s+/g, ""), "base64");
}

export async function createClient(options: ClientOptions): Promise<OPCUAClient> {
  const clientCertificateManager = new OPCUACertificateManager({
    rootFolder: options.pkiDir,
    automaticallyAcceptUnknownCertificate: options.autoAcceptServer ?? false,
  });
  const client = OPCUAClient.create({
    applicationName: "llmagentos-test-client",
    endpointMustExist: false,
    securityMode: options.securityMode ?? MessageSecurityMode.None,
    securityPolicy: options.securityPolicy ?? SecurityPolicy.None,
    clientCertificateManager,
    connectionStrategy: { maxRetry: options.maxRetry ?? 0, initialDelay: 50, maxDelay: 200 },
    requestedSessionTimeout: 10_000,
  });
  await clientCertificateManager.initialize(); // makes the folders the certificate goes in
  await client.createDefaultCertificate();
  return client;
}

/** Connect and open a session; the caller closes both with `closeSession`. */
export async function openSession(client: OPCUAClient, url: string, identity?: UserIdentityInfo): Promise<ClientSession> {
  await client.connect(url);
  return client.createSession(identity);
}

export async function closeSession(client: OPCUAClient, session?: ClientSession): Promise<void> {
  await session?.close().catch(() => {});
  await client.disconnect();
}

export function readValue(session: ClientSession, nodeId: string): Promise<DataValue> {
  return session.read({ nodeId, attributeId: AttributeIds.Value });
}
