/**
 * The user identity a connection asks for, resolved once when the channel is built: a missing
 * password variable or key file stops the gateway at start (LOS_E_SECRET_MISSING) instead of
 * failing every reconnect.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { UserTokenType, type UserIdentityInfo } from "node-opcua";
import { LosError } from "../../core/errors.js";
import type { OpcuaConnection } from "../../config/connection-schema.js";
import { readCertificateDer } from "./opcua-pki.js";

export interface IdentitySources {
  env: Readonly<Record<string, string | undefined>>;
  dataDir?: string;
}

function dataFile(name: string, dataDir: string | undefined, what: string, endpoint: string): string {
  const file = isAbsolute(name) || !dataDir ? name : join(dataDir, name);
  try {
    readFileSync(file);
  } catch (err) {
    throw new LosError("LOS_E_SECRET_MISSING", `${endpoint}: the ${what} ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`, {
      cause: err,
      details: { endpoint, file },
    });
  }
  return file;
}

export function resolveIdentity(connection: OpcuaConnection, sources: IdentitySources): UserIdentityInfo {
  const id = connection.identity ?? { type: "anonymous" };
  switch (id.type) {
    case "anonymous":
      return { type: UserTokenType.Anonymous };
    case "username": {
      const password = sources.env[id.passwordEnv];
      if (password === undefined || password === "") {
        throw new LosError("LOS_E_SECRET_MISSING", `${connection.endpoint}: the password of OPC-UA user ${id.username} is not set: set environment variable ${id.passwordEnv}`, {
          details: { endpoint: connection.endpoint, passwordEnv: id.passwordEnv },
        });
      }
      return { type: UserTokenType.UserName, userName: id.username, password };
    }
    case "certificate": {
      const cert = dataFile(id.certificateFile, sources.dataDir, "user certificate", connection.endpoint);
      const key = dataFile(id.privateKeyFile, sources.dataDir, "user private key", connection.endpoint);
      return { type: UserTokenType.Certificate, certificateData: readCertificateDer(cert), privateKey: readFileSync(key, "utf8") };
    }
  }
}

/** How the identity shows in logs and errors (never the secret). */
export function identityLabel(connection: OpcuaConnection): string {
  const id = connection.identity;
  if (!id || id.type === "anonymous") return "anonymous";
  return id.type === "username" ? `user ${id.username}` : `certificate ${id.certificateFile}`;
}
