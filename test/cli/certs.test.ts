/**
 * `llmagentos certs` as a user runs it (a child process) on a data dir: show-own makes the gateway's
 * application certificate on first use (the store lists it as its own), list shows own, trusted and rejected certificates with
 * thumbprints, trust and reject move a server certificate between the folders, and an unknown
 * thumbprint is a coded error. A "server" certificate is a copy of a second store's own certificate.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/types.js";
import { createOwnCertificate } from "../../src/devices/opcua/opcua-client-setup.js";
import { listCertificates, pkiRoot } from "../../src/devices/opcua/opcua-pki.js";
import { removeDir, tempDir } from "../gateway/helpers.js";
import { runCli } from "./run-cli.js";

const cli = (args: string[]) => runCli(args, 60_000);

let dataDir: string;
let otherDir: string;
let server: { thumbprint: string };

beforeAll(async () => {
  dataDir = await tempDir("los-certs-");
  otherDir = await tempDir("los-certs-server-");
  // the "server": another store's own certificate, dropped in rejected/ as node-opcua does
  await createOwnCertificate(pkiRoot(otherDir), silentLogger);
  server = listCertificates(pkiRoot(otherDir)).find((c) => c.state === "own")!;
}, 60_000);

afterAll(async () => {
  await removeDir(dataDir);
  await removeDir(otherDir);
});

describe("llmagentos certs", () => {
  it("show-own makes the application certificate once and prints its thumbprint and PEM", async () => {
    const first = await cli(["certs", "show-own", "--data-dir", dataDir]);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain("creating the gateway's OPC-UA application certificate");
    expect(first.stdout).toMatch(/^thumbprint: [0-9a-f]{40}\n/);
    expect(first.stdout).toContain("CN=LLMAgentOS gateway");
    expect(first.stdout).toContain("-----BEGIN CERTIFICATE-----");
    expect(existsSync(join(dataDir, "pki", "own", "private", "private_key.pem"))).toBe(true);
    const own = listCertificates(pkiRoot(dataDir)).filter((c) => c.state === "own");
    expect(own).toHaveLength(1);
    expect(first.stdout.split("\n")[0]).toBe(`thumbprint: ${own[0]!.thumbprint}`);
  }, 60_000);

  it("lists, trusts and rejects a server certificate by thumbprint", async () => {
    mkdirSync(join(dataDir, "pki", "rejected"), { recursive: true });
    copyFileSync(join(otherDir, "pki", "own", "certs", "client_certificate.pem"), join(dataDir, "pki", "rejected", `server[${server.thumbprint}].pem`));

    const listed = await cli(["certs", "list", "--data-dir", dataDir]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^state\s+thumbprint\s+subject\s+valid from\s+valid to/);
    expect(listed.stdout).toMatch(new RegExp(`rejected\\s+${server.thumbprint}\\s+.*CN=LLMAgentOS gateway`));
    expect(listed.stdout).toMatch(/^own\s+[0-9a-f]{40}/m);

    const trusted = await cli(["certs", "trust", server.thumbprint.slice(0, 10), "--data-dir", dataDir]);
    expect(trusted).toMatchObject({ code: 0, stdout: expect.stringContaining(`trusted ${server.thumbprint}`) });
    expect(readdirSync(join(dataDir, "pki", "trusted", "certs"))).toEqual([`server[${server.thumbprint}].pem`]);
    expect(readdirSync(join(dataDir, "pki", "rejected"))).toEqual([]);
    const json = JSON.parse((await cli(["certs", "list", "--json", "--data-dir", dataDir])).stdout) as { state: string; thumbprint: string; valid: boolean }[];
    expect(json).toEqual(expect.arrayContaining([expect.objectContaining({ state: "trusted", thumbprint: server.thumbprint, valid: true })]));

    const rejected = await cli(["certs", "reject", server.thumbprint, "--data-dir", dataDir]);
    expect(rejected).toMatchObject({ code: 0, stdout: expect.stringContaining(`rejected ${server.thumbprint}`) });
    expect(readdirSync(join(dataDir, "pki", "rejected"))).toEqual([`server[${server.thumbprint}].pem`]);
  }, 60_000);

  it("an unknown thumbprint is LOS_E_CERT_UNKNOWN, a too short one a usage error", async () => {
    const unknown = await cli(["certs", "trust", "0123456789abcdef", "--data-dir", dataDir]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("error LOS_E_CERT_UNKNOWN");
    const short = await cli(["certs", "trust", "ab", "--data-dir", dataDir]);
    expect(short.code).toBe(2);
    expect(short.stderr).toContain("LOS_E_USAGE");
  }, 60_000);
});
