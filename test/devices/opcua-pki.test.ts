/**
 * The certificate store's rule that a trust wins: a connect attempt under way while the operator
 * trusted a server writes its certificate into rejected/ again; the next attempt drops that copy.
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/types.js";
import { createOwnCertificate } from "../../src/devices/opcua/opcua-client-setup.js";
import { dropRejectedCopiesOfTrusted, listCertificates, trustCertificate } from "../../src/devices/opcua/opcua-pki.js";
import { removeDir, tempDir } from "../gateway/helpers.js";

let dir: string;
beforeAll(async () => {
  dir = await tempDir("los-pki-");
}, 30_000);
afterAll(async () => {
  if (dir) await removeDir(dir);
});

describe("OPC-UA certificate store", () => {
  it("a certificate re-rejected after it was trusted stays trusted at the next attempt; other rejected ones stay", async () => {
    const server = join(dir, "server");
    const other = join(dir, "other");
    await createOwnCertificate(server, silentLogger);
    await createOwnCertificate(other, silentLogger);
    const store = join(dir, "gateway");
    mkdirSync(join(store, "rejected"), { recursive: true });
    const serverCert = join(server, "own", "certs", "client_certificate.pem");
    copyFileSync(serverCert, join(store, "rejected", "server.pem"));
    copyFileSync(join(other, "own", "certs", "client_certificate.pem"), join(store, "rejected", "other.pem"));
    const [serverInfo] = listCertificates(store).filter((c) => c.file.endsWith("server.pem"));
    trustCertificate(store, serverInfo!.thumbprint);
    copyFileSync(serverCert, join(store, "rejected", "server-again.pem")); // the attempt that was under way

    dropRejectedCopiesOfTrusted(store);

    const states = listCertificates(store).map((c) => [c.thumbprint === serverInfo!.thumbprint ? "server" : "other", c.state]);
    expect(states.sort()).toEqual([
      ["other", "rejected"],
      ["server", "trusted"],
    ]);
  });
});
