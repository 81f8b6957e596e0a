/**
 * One node-opcua server instance with the simulator's security: endpoints None, Sign and
 * SignAndEncrypt (Basic256Sha256), anonymous (when allowed), user name/password from a map, and
 * X509 user identities. Everything on disk lives under the caller's PKI directory:
 * `<pki>/server` (the server's certificate and key, trusted and rejected client certificates) and
 * `<pki>/user` (trusted X509 user identity certificates). The certificate is made on the first
 * start and reused by later ones, so a restart keeps the server's identity and its trust lists.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { MessageSecurityMode, OPCUACertificateManager, OPCUAServer, SecurityPolicy } from "node-opcua";
import { VERSION } from "../../src/version.js";

export interface ServerSetup {
  host: string;
  port: number;
  pkiDir: string;
  users: Readonly<Record<string, string>>;
  allowAnonymous: boolean;
  autoAcceptCertificates: boolean;
  /** The server's application URI, which node-opcua also gives its own namespace. */
  applicationUri?: string;
}

export interface ServerCertificateInfo {
  der: Buffer;
  pem: string;
  /** SHA-1 of the DER, lowercase hex (the name node-opcua gives files in its trust folders). */
  thumbprint: string;
}

export function certificateManagers(pkiDir: string, autoAccept: boolean): { server: OPCUACertificateManager; user: OPCUACertificateManager } {
  return {
    server: new OPCUACertificateManager({ rootFolder: path.join(pkiDir, "server"), automaticallyAcceptUnknownCertificate: autoAccept }),
    user: new OPCUACertificateManager({ rootFolder: path.join(pkiDir, "user"), automaticallyAcceptUnknownCertificate: autoAccept }),
  };
}

/** Create and initialise (not start) a server; the caller fills the address space, then starts it. */
export async function createOpcuaServer(setup: ServerSetup): Promise<OPCUAServer> {
  const managers = certificateManagers(setup.pkiDir, setup.autoAcceptCertificates);
  const users = setup.users;
  const server = new OPCUAServer({
    host: setup.host,
    hostname: setup.host,
    port: setup.port,
    serverCertificateManager: managers.server,
    userCertificateManager: managers.user,
    securityModes: [MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt],
    securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
    allowAnonymous: setup.allowAnonymous,
    userManager: {
      // own-property check: "constructor" or "__proto__" are not users
      isValidUser: (name: string, password: string) => Object.hasOwn(users, name) && users[name] === password,
    },
    serverInfo: {
      applicationName: { text: "LLMAgentOS OPC-UA simulator" },
      productUri: "urn:llmagentos:opcua-simulator",
      ...(setup.applicationUri ? { applicationUri: setup.applicationUri } : {}),
    },
    buildInfo: { productName: "LLMAgentOS OPC-UA simulator", manufacturerName: "LLMAgentOS", softwareVersion: VERSION },
  });
  await server.initialize();
  return server;
}

export function certificateInfo(der: Buffer): ServerCertificateInfo {
  const body = der.toString("base64").replace(/.{1,64}/g, "$&\n");
  return {
    der,
    pem: `-----BEGIN CERTIFICATE-----\n${body}-----END CERTIFICATE-----\n`,
    thumbprint: createHash("sha1").update(der).digest("hex"),
  };
}

/** The first certificate of a PEM text, as DER. */
export function pemToDer(pem: string): Buffer {
  const m = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  if (!m?.[1]) throw new RangeError("expected a PEM certificate (-----BEGIN CERTIFICATE-----) or DER bytes");
  return Buffer.from(m[1].replace(/\s+/g, ""), "base64");
}
