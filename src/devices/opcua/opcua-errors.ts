/**
 * node-opcua errors and status codes as the project's coded errors. node-opcua reports most
 * failures as plain Errors whose message carries a status name ("BadUserAccessDenied (0x801f0000)"),
 * so the translation reads the name out of the message; status codes of results are translated
 * by name.
 */
import { LosError, isLosError, type ErrorCode } from "../../core/errors.js";

const AUTH = /BadUserAccessDenied|BadIdentityTokenRejected|BadIdentityTokenInvalid|BadUserSignatureInvalid/;
const CERT = /BadCertificate\w*|BadSecurityChecksFailed|server Certificate verification failed/;
const NODE = /BadNodeIdUnknown|BadNodeIdInvalid/;
const TIMEOUT = /Transaction has timed out|BadTimeout|ETIMEDOUT|BadRequestTimeout/;
const DISCONNECTED =
  /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|EPIPE|ECONNABORTED|BadConnectionClosed|BadSecureChannelClosed|BadSessionClosed|BadSessionIdInvalid|BadNotConnected|BadServerNotConnected|BadCommunicationError|disconnected by third party|Invalid Channel|Socket is closed|Client not connected|connection cannot be established|premature disconnection|has been terminated/;
const BAD_NAME = /\b(Bad[A-Za-z0-9]+)\b/;

/** The status name in a node-opcua error message, if any. */
export function statusNameOf(message: string): string | undefined {
  return BAD_NAME.exec(message)?.[1];
}

/** The coded error for a Bad status name, for one item (`what` says which: a node, a write). */
export function statusError(name: string, what: string, details: Record<string, unknown> = {}): LosError {
  const code: ErrorCode = NODE.test(name)
    ? "LOS_E_DEVICE_NODE_UNKNOWN"
    : AUTH.test(name)
      ? "LOS_E_DEVICE_AUTH"
      : name === "BadTimeout" || name === "BadRequestTimeout"
        ? "LOS_E_DEVICE_TIMEOUT"
        : "LOS_E_DEVICE_STATUS";
  return new LosError(code, `${what}: ${name}`, { details: { ...details, status: name } });
}

export interface TranslateContext {
  endpoint: string;
  /** SHA-1 thumbprint of the server certificate, when known (untrusted certificates) */
  thumbprint?: string;
  /** endpoints the server offers, `Mode/Policy` (security mismatches) */
  offered?: readonly string[];
  /** what failed without a status: connect (default) or a request */
  fallback?: ErrorCode;
}

/** Translate anything node-opcua threw into a coded error; LosErrors pass through. */
export function translateOpcuaError(err: unknown, ctx: TranslateContext): LosError {
  if (isLosError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  const details: Record<string, unknown> = { endpoint: ctx.endpoint };
  const status = statusNameOf(message);
  if (status) details.status = status;
  const wrap = (code: ErrorCode, text: string) => new LosError(code, text, { cause: err, details });
  if (CERT.test(message)) {
    if (ctx.thumbprint) details.thumbprint = ctx.thumbprint;
    if (status === "BadCertificateTimeInvalid" || status === "BadCertificateIssuerTimeInvalid") {
      // trusting it again changes nothing: the server needs a certificate within its dates
      return wrap("LOS_E_DEVICE_CERT_UNTRUSTED", `${ctx.endpoint}: the server certificate is expired or not yet valid (${status}); renew it on the server, or check both clocks`);
    }
    const trust = ctx.thumbprint ? `; if it is the right server run \`llmagentos certs trust ${ctx.thumbprint}\`` : "";
    return wrap("LOS_E_DEVICE_CERT_UNTRUSTED", `${ctx.endpoint}: the server certificate is not trusted (${status ?? "verification failed"})${trust}`);
  }
  if (AUTH.test(message)) return wrap("LOS_E_DEVICE_AUTH", `${ctx.endpoint}: the server refused the identity (${status})`);
  if (/Cannot find an Endpoint matching/.test(message)) {
    if (ctx.offered) details.offered = ctx.offered;
    const list = ctx.offered?.length ? `; it offers ${ctx.offered.join(", ")}` : "";
    return wrap("LOS_E_DEVICE_SECURITY", `${ctx.endpoint} has no endpoint with the requested security mode and policy${list}`);
  }
  if (NODE.test(message)) return wrap("LOS_E_DEVICE_NODE_UNKNOWN", `${ctx.endpoint}: ${status}`);
  if (TIMEOUT.test(message)) return wrap("LOS_E_DEVICE_TIMEOUT", `${ctx.endpoint} did not answer in time`);
  if (DISCONNECTED.test(message)) return wrap("LOS_E_DEVICE_DISCONNECTED", `${ctx.endpoint}: connection lost or refused (${firstLine(message)})`);
  if (status) return wrap("LOS_E_DEVICE_STATUS", `${ctx.endpoint}: ${status}`);
  return wrap(ctx.fallback ?? "LOS_E_DEVICE_DISCONNECTED", `${ctx.endpoint}: ${firstLine(message)}`);
}

function firstLine(s: string): string {
  return s.split("\n")[0]!.slice(0, 200);
}
