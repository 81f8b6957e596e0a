/**
 * Client-side chores around a connect: the gateway's own application certificate (made once, on
 * first use, and slow: a 2048-bit key), and the list of endpoints a server offers, for the message
 * of a security mismatch.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { MessageSecurityMode, OPCUACertificateManager, OPCUAClient, SecurityPolicy, setErrorLogger, setWarningLogger } from "node-opcua";
import type { Logger } from "../../core/types.js";
import { OWN_CERTIFICATE, thumbprintOf } from "./opcua-pki.js";

/** The gateway's application name: its certificate's application URI is derived from it. */
export const APPLICATION_NAME = "LLMAgentOS gateway";

// two channels of one gateway must not both generate a key into the same store
const creating = new Map<string, Promise<void>>();

/** Make the application certificate in `<root>/own` if it is not there yet. */
export async function ensureOwnCertificate(client: OPCUAClient, root: string, logger: Logger): Promise<void> {
  const pending = creating.get(root);
  if (pending) await pending;
  if (existsSync(join(root, OWN_CERTIFICATE))) return;
  const task = (async () => {
    logger.info({ pki: root }, "creating the gateway's OPC-UA application certificate (first use; this can take a few seconds)");
    const started = Date.now();
    await client.createDefaultCertificate();
    logger.info({ pki: root, ms: Date.now() - started }, "OPC-UA application certificate created");
  })();
  creating.set(root, task);
  try {
    await task;
  } finally {
    creating.delete(root);
  }
}

export interface ServerEndpoints {
  /** `Mode/Policy` of every endpoint the server offers */
  offered: string[];
  /** SHA-1 thumbprint of the server's certificate, lowercase hex */
  thumbprint: string | undefined;
}

/** What a server offers, asked over an unsecured discovery channel (for error messages). */
export async function serverEndpoints(endpoint: string, root: string): Promise<ServerEndpoints> {
  const manager = new OPCUACertificateManager({ rootFolder: root, automaticallyAcceptUnknownCertificate: false, disableFileWatchers: true });
  await manager.initialize();
  const client = OPCUAClient.create({
    applicationName: APPLICATION_NAME,
    endpointMustExist: false,
    securityMode: MessageSecurityMode.None,
    securityPolicy: SecurityPolicy.None,
    clientCertificateManager: manager,
    connectionStrategy: { maxRetry: 0 },
  });
  try {
    await client.connect(endpoint);
    const endpoints = await client.getEndpoints();
    const offered = endpoints.map((e) => `${MessageSecurityMode[e.securityMode]}/${(e.securityPolicyUri ?? "").split("#")[1] ?? "None"}`);
    const cert = endpoints.find((e) => e.serverCertificate && e.serverCertificate.length > 0)?.serverCertificate;
    return { offered: [...new Set(offered)], thumbprint: cert ? thumbprintOf(Buffer.from(cert)) : undefined };
  } finally {
    await client.disconnect().catch(() => {});
    await manager.dispose().catch(() => {});
  }
}

/** Make the application certificate without connecting anywhere (`llmagentos certs show-own`). */
export async function createOwnCertificate(root: string, logger: Logger): Promise<void> {
  const manager = new OPCUACertificateManager({ rootFolder: root, automaticallyAcceptUnknownCertificate: false, disableFileWatchers: true });
  await manager.initialize();
  const client = OPCUAClient.create({ applicationName: APPLICATION_NAME, endpointMustExist: false, clientCertificateManager: manager });
  try {
    await ensureOwnCertificate(client, root, logger);
  } finally {
    await manager.dispose().catch(() => {});
  }
}

/** node-opcua prints its warnings on stdout; a command whose stdout is data sends them to stderr. */
export function opcuaLogsToStderr(): void {
  // node-opcua passes a context object first; the text follows
  const print = (...args: unknown[]) => void process.stderr.write(`${args.filter((a) => typeof a !== "object" || a instanceof Error).map(String).join(" ")}\n`);
  setWarningLogger(print);
  setErrorLogger(print);
}

/**
 * Into the gateway's log instead of stdout: node-opcua's warnings at debug level (our coded errors
 * already say what went wrong), its errors at warn. The setting is per process, so the last
 * gateway built in a process gets them.
 */
export function opcuaLogsTo(logger: Logger): void {
  const text = (args: unknown[]) => args.filter((a) => typeof a !== "object" || a instanceof Error).map(String).join(" ").trim();
  setWarningLogger((...args: unknown[]) => logger.debug({ source: "node-opcua" }, text(args)));
  setErrorLogger((...args: unknown[]) => logger.warn({ source: "node-opcua" }, text(args)));
}
