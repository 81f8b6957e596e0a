/**
 * Client-side chores around a connect: the gateway's own application certificate (made once, on
 * first use, and slow: a 2048-bit key), and the list of endpoints a server offers, for the message
 * of a security mismatch.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { MessageSecurityMode, OPCUACertificateManager, OPCUAClient, SecurityPolicy } from "node-opcua";
import type { Logger } from "../../core/types.js";
import { OWN_CERTIFICATE } from "./opcua-pki.js";

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

/** `Mode/Policy` of every endpoint the server offers (asked over an unsecured discovery channel). */
export async function offeredEndpoints(endpoint: string, root: string): Promise<string[]> {
  const manager = new OPCUACertificateManager({ rootFolder: root, automaticallyAcceptUnknownCertificate: false, disableFileWatchers: true });
  await manager.initialize();
  const client = OPCUAClient.create({
    applicationName: "LLMAgentOS gateway",
    endpointMustExist: false,
    securityMode: MessageSecurityMode.None,
    securityPolicy: SecurityPolicy.None,
    clientCertificateManager: manager,
    connectionStrategy: { maxRetry: 0 },
  });
  try {
    await client.connect(endpoint);
    const endpoints = await client.getEndpoints();
    const names = endpoints.map((e) => `${MessageSecurityMode[e.securityMode]}/${(e.securityPolicyUri ?? "").split("#")[1] ?? "None"}`);
    return [...new Set(names)];
  } finally {
    await client.disconnect().catch(() => {});
    await manager.dispose().catch(() => {});
  }
}
