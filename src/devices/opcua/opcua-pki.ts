/**
 * The gateway's OPC-UA certificate store: `<dataDir>/pki/` in node-opcua's OPCUACertificateManager
 * layout (own/ holds the gateway's application certificate and key, trusted/certs/ the servers it
 * trusts, rejected/ the ones it met and did not trust). Nothing is trusted automatically: an unknown
 * server certificate lands in rejected/ and the operator moves it with `llmagentos certs trust`.
 *
 * Listing, trusting and rejecting work on the files with node:crypto only, so the `certs` command
 * does not load node-opcua for them.
 */
import { X509Certificate, createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { LosError } from "../../core/errors.js";

export const OWN_CERTIFICATE = join("own", "certs", "client_certificate.pem");
export const OWN_PRIVATE_KEY = join("own", "private", "private_key.pem");
const TRUSTED = join("trusted", "certs");
const REJECTED = "rejected";

export function pkiRoot(dataDir: string): string {
  return join(dataDir, "pki");
}

export type CertificateState = "own" | "trusted" | "rejected";

export interface CertificateInfo {
  state: CertificateState;
  /** SHA-1 of the DER, lowercase hex (what node-opcua puts in file names) */
  thumbprint: string;
  subject: string;
  validFrom: string;
  validTo: string;
  /** false when expired or not yet valid */
  valid: boolean;
  file: string;
}

/** SHA-1 thumbprint of a DER certificate, lowercase hex. */
export function thumbprintOf(der: Buffer): string {
  return createHash("sha1").update(der).digest("hex");
}

/** The first certificate of a PEM or DER file, as DER. */
export function readCertificateDer(file: string): Buffer {
  const raw = readFileSync(file);
  const text = raw.toString("latin1");
  const m = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(text);
  return m?.[1] ? Buffer.from(m[1].replace(/\s+/g, ""), "base64") : raw;
}

function describe(file: string, state: CertificateState, now: number): CertificateInfo | undefined {
  let der: Buffer;
  let cert: X509Certificate;
  try {
    der = readCertificateDer(file);
    cert = new X509Certificate(der);
  } catch {
    return undefined; // not a certificate (a mutex or config file)
  }
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  return {
    state,
    thumbprint: thumbprintOf(der),
    subject: cert.subject.replace(/\n/g, ", "),
    validFrom: new Date(from).toISOString(),
    validTo: new Date(to).toISOString(),
    valid: now >= from && now <= to,
    file,
  };
}

function certificatesIn(dir: string, state: CertificateState, now: number): CertificateInfo[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.(pem|der|crt)$/i.test(e.name))
    .map((e) => describe(join(dir, e.name), state, now))
    .filter((c): c is CertificateInfo => c !== undefined);
}

/** Every certificate in the store: own, trusted, rejected. */
export function listCertificates(root: string, now = Date.now()): CertificateInfo[] {
  return [
    ...certificatesIn(join(root, "own", "certs"), "own", now).filter((c) => c.file.endsWith("client_certificate.pem")),
    ...certificatesIn(join(root, TRUSTED), "trusted", now),
    ...certificatesIn(join(root, REJECTED), "rejected", now),
  ];
}

/** Find one trusted or rejected certificate by thumbprint (a unique prefix of 8+ hex digits will do). */
export function findCertificate(root: string, thumbprint: string): CertificateInfo {
  const want = thumbprint.toLowerCase().replace(/[^0-9a-f]/g, "");
  if (want.length < 8) throw new LosError("LOS_E_USAGE", `"${thumbprint}" is not a thumbprint: give at least 8 hex digits (see \`llmagentos certs list\`)`);
  const matches = listCertificates(root).filter((c) => c.state !== "own" && c.thumbprint.startsWith(want));
  const unique = [...new Map(matches.map((c) => [c.thumbprint, c])).values()];
  if (unique.length === 0) throw new LosError("LOS_E_CERT_UNKNOWN", `no trusted or rejected certificate with thumbprint ${want} in ${root}; run \`llmagentos certs list\``);
  if (unique.length > 1) throw new LosError("LOS_E_CERT_UNKNOWN", `thumbprint ${want} is ambiguous (${unique.map((c) => c.thumbprint).join(", ")}); give more digits`);
  return matches.find((c) => c.state === "rejected") ?? matches[0]!;
}

function move(cert: CertificateInfo, root: string, to: CertificateState): CertificateInfo {
  const dir = join(root, to === "trusted" ? TRUSTED : REJECTED);
  mkdirSync(dir, { recursive: true });
  const name = cert.file.slice(cert.file.lastIndexOf("/") + 1);
  const target = join(dir, name);
  renameSync(cert.file, target);
  // a certificate seen again after a trust could also sit in the other folder: keep one verdict
  for (const other of listCertificates(root)) {
    if (other.thumbprint === cert.thumbprint && other.state !== to && other.state !== "own") renameSync(other.file, target);
  }
  return { ...cert, state: to, file: target };
}

/**
 * A trust wins over a later copy in rejected/: a connect attempt that was under way when the operator
 * trusted a certificate writes it into rejected/ again, and node-opcua would then keep refusing it.
 * Called before every connect attempt. An explicit reject moves the trusted copy away, so a
 * certificate in both folders was only ever re-rejected by node-opcua.
 */
export function dropRejectedCopiesOfTrusted(root: string): void {
  const all = listCertificates(root);
  const trusted = new Set(all.filter((c) => c.state === "trusted").map((c) => c.thumbprint));
  for (const c of all) if (c.state === "rejected" && trusted.has(c.thumbprint)) rmSync(c.file, { force: true });
}

/** Move a certificate into trusted/certs: the gateway accepts that server from its next connect. */
export function trustCertificate(root: string, thumbprint: string): CertificateInfo {
  const cert = findCertificate(root, thumbprint);
  return cert.state === "trusted" ? cert : move(cert, root, "trusted");
}

/** Move a certificate into rejected/: connections to that server fail with LOS_E_DEVICE_CERT_UNTRUSTED. */
export function rejectCertificate(root: string, thumbprint: string): CertificateInfo {
  const cert = findCertificate(root, thumbprint);
  return cert.state === "rejected" ? cert : move(cert, root, "rejected");
}
