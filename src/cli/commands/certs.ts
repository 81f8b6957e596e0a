/**
 * `llmagentos certs`: the gateway's OPC-UA certificate store in `<data dir>/pki`. list, trust and
 * reject work on the files (node:crypto); show-own loads node-opcua only when it has to create the
 * gateway's application certificate.
 */
import type { Command } from "commander";
import { addDataOptions, type DataOptions } from "../data-options.js";
import { printJson, printTable } from "../output.js";

async function store(opts: DataOptions) {
  const { resolveDataDir } = await import("../common.js");
  const pki = await import("../../devices/opcua/opcua-pki.js");
  return { pki, root: pki.pkiRoot(resolveDataDir(opts)) };
}

export function certsCommand(program: Command): void {
  const certs = program
    .command("certs")
    .description("OPC-UA certificates: the gateway's own, the servers it trusts and the ones it rejected (<data dir>/pki)");

  addDataOptions(certs.command("list").description("own, trusted and rejected certificates with thumbprint, subject and validity").option("--json", "print JSON")).action(
    async (opts: DataOptions & { json?: boolean }) => {
      const { pki, root } = await store(opts);
      const list = pki.listCertificates(root);
      if (opts.json) return printJson(list);
      if (list.length === 0) return void process.stdout.write(`no certificates in ${root} yet (the gateway makes its own on first OPC-UA use)\n`);
      printTable(
        ["state", "thumbprint", "subject", "valid from", "valid to", ""],
        list.map((c) => [c.state, c.thumbprint, c.subject, c.validFrom.slice(0, 10), c.validTo.slice(0, 10), c.valid ? "" : "NOT VALID NOW"]),
      );
    },
  );

  addDataOptions(
    certs.command("trust").description("trust a server certificate (from rejected/): the gateway accepts that server on its next connect attempt").argument("<thumbprint>", "SHA-1 thumbprint, or 8+ leading hex digits of it"),
  ).action(async (thumbprint: string, opts: DataOptions) => {
    const { pki, root } = await store(opts);
    const c = pki.trustCertificate(root, thumbprint);
    process.stdout.write(`trusted ${c.thumbprint} ${c.subject}\n`);
  });

  addDataOptions(
    certs.command("reject").description("stop trusting a server certificate (moves it to rejected/)").argument("<thumbprint>", "SHA-1 thumbprint, or 8+ leading hex digits of it"),
  ).action(async (thumbprint: string, opts: DataOptions) => {
    const { pki, root } = await store(opts);
    const c = pki.rejectCertificate(root, thumbprint);
    process.stdout.write(`rejected ${c.thumbprint} ${c.subject}\n`);
  });

  addDataOptions(
    certs.command("show-own").description("the gateway's application certificate (PEM) to install on OPC-UA servers; made on first use").option("--json", "print JSON"),
  ).action(async (opts: DataOptions & { json?: boolean }) => {
    const { pki, root } = await store(opts);
    const { existsSync, readFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const file = join(root, pki.OWN_CERTIFICATE);
    if (!existsSync(file)) {
      process.stderr.write(`creating the gateway's OPC-UA application certificate in ${root}/own (this can take a few seconds)…\n`);
      const { createOwnCertificate, opcuaLogsToStderr } = await import("../../devices/opcua/opcua-client-setup.js");
      opcuaLogsToStderr();
      const { silentLogger } = await import("../../core/types.js");
      await createOwnCertificate(root, silentLogger);
    }
    const own = pki.listCertificates(root).find((c) => c.state === "own");
    const pem = readFileSync(file, "utf8");
    if (opts.json) return printJson({ ...own, pem });
    if (own) process.stdout.write(`thumbprint: ${own.thumbprint}\nsubject:    ${own.subject}\nvalid:      ${own.validFrom} → ${own.validTo}\nfile:       ${file}\n`);
    process.stdout.write(pem.endsWith("\n") ? pem : `${pem}\n`);
  });
}
