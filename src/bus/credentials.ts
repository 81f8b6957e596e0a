/**
 * Bus users and their scrypt password hashes. There are no default passwords: on first start an
 * `admin` user with a random password is created in `<dataDir>/bus-credentials.json` (mode 0600)
 * and the plaintext is written once to `<dataDir>/bus-admin-password` (mode 0600) for the operator.
 * Users given in config take their password from an environment variable named in config;
 * external and container agents log in with theirs (agent-credentials.ts).
 */
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { chmod, mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { LosError } from "../core/errors.js";
import { agentPassword, type AgentLogin } from "./agent-credentials.js";
import type { UserRole } from "./authorize.js";

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  keylen: number;
}

/** OWASP-recommended minimum for scrypt; ~16 MiB and tens of ms per check on a Pi. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 16384, r: 8, p: 1, keylen: 32 };

export interface UserRecord {
  username: string;
  role: UserRole;
  tenant?: string;
  /** base64 */
  salt: string;
  /** base64 */
  hash: string;
  scrypt: ScryptParams;
}

/** A user given in config; the password is read from `process.env[passwordEnv]`. */
export interface ConfiguredUser {
  username: string;
  role: UserRole;
  tenant?: string;
  passwordEnv: string;
}

export interface CredentialStore {
  /** The user if the password matches, else undefined. Costs one scrypt even for unknown users. */
  verify(username: string, password: Buffer | string): Promise<Omit<UserRecord, "salt" | "hash"> | undefined>;
  has(username: string): boolean;
  usernames(): string[];
}

export const CREDENTIALS_FILE = "bus-credentials.json";
export const ADMIN_PASSWORD_FILE = "bus-admin-password";
export const ADMIN_USERNAME = "admin";
const ROLES: readonly UserRole[] = ["admin", "tenant", "agent", "readonly"];

function scryptAsync(password: Buffer, salt: Buffer, p: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, p.keylen, { N: p.N, r: p.r, p: p.p, maxmem: 256 * p.N * p.r }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function hashPassword(
  user: { username: string; role: UserRole; tenant?: string },
  password: string | Buffer,
  params: ScryptParams = DEFAULT_SCRYPT,
): Promise<UserRecord> {
  const salt = randomBytes(16);
  const key = await scryptAsync(Buffer.from(password), salt, params);
  const rec: UserRecord = {
    username: user.username,
    role: user.role,
    salt: salt.toString("base64"),
    hash: key.toString("base64"),
    scrypt: { ...params },
  };
  if (user.tenant !== undefined) rec.tenant = user.tenant;
  return rec;
}

/** An in-memory store over hashed records. */
export function createCredentialStore(records: UserRecord[]): CredentialStore {
  const byName = new Map(records.map((r) => [r.username, r]));
  const dummy: UserRecord = {
    username: "",
    role: "readonly",
    salt: randomBytes(16).toString("base64"),
    hash: randomBytes(DEFAULT_SCRYPT.keylen).toString("base64"),
    scrypt: records[0]?.scrypt ?? DEFAULT_SCRYPT,
  };
  return {
    async verify(username, password) {
      const rec = byName.get(username);
      const target = rec ?? dummy;
      const expected = Buffer.from(target.hash, "base64");
      const got = await scryptAsync(Buffer.from(password), Buffer.from(target.salt, "base64"), target.scrypt);
      const same = got.length === expected.length && timingSafeEqual(got, expected);
      if (!rec || !same) return undefined;
      const { salt: _s, hash: _h, ...pub } = rec;
      return pub;
    },
    has: (username) => byName.has(username),
    usernames: () => [...byName.keys()],
  };
}

function parseRecords(text: string, file: string): UserRecord[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new LosError("LOS_E_CONFIG_PARSE", `${file} is not valid JSON`, { cause: err, details: { file } });
  }
  const users = (data as { users?: unknown }).users;
  if (!Array.isArray(users)) {
    throw new LosError("LOS_E_CONFIG_INVALID", `${file}: expected {"users": [...]}`, { details: { file } });
  }
  for (const u of users as Partial<UserRecord>[]) {
    const ok =
      typeof u.username === "string" &&
      typeof u.salt === "string" &&
      typeof u.hash === "string" &&
      ROLES.includes(u.role as UserRole) &&
      typeof u.scrypt?.N === "number";
    if (!ok) {
      throw new LosError("LOS_E_CONFIG_INVALID", `${file}: malformed user entry`, {
        details: { file, username: u.username },
      });
    }
  }
  return users as UserRecord[];
}

async function writeSecretFile(path: string, content: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

export interface LoadCredentialsOptions {
  env?: NodeJS.ProcessEnv;
  /** scrypt cost for newly hashed passwords (tests may lower it) */
  scrypt?: ScryptParams;
  /** external and container agents: users named by the agent id with role agent */
  agents?: AgentLogin[];
}

export interface LoadedCredentials {
  store: CredentialStore;
  /** true when this call created the admin user (and the admin password file) */
  createdAdmin: boolean;
  credentialsFile: string;
  adminPasswordFile: string;
}

/**
 * Load `<dataDir>/bus-credentials.json`, creating it with a random `admin` password on first start,
 * and add the users from config (their passwords come from the environment; a missing variable is
 * LOS_E_SECRET_MISSING). Config users are hashed in memory and not written to disk.
 */
export async function loadOrCreateCredentials(
  dataDir: string,
  configuredUsers: ConfiguredUser[] = [],
  opts: LoadCredentialsOptions = {},
): Promise<LoadedCredentials> {
  const env = opts.env ?? process.env;
  const params = opts.scrypt ?? DEFAULT_SCRYPT;
  const credentialsFile = join(dataDir, CREDENTIALS_FILE);
  const adminPasswordFile = join(dataDir, ADMIN_PASSWORD_FILE);

  const agents = opts.agents ?? [];
  // check config first so a bad config does not leave a half-written data dir
  const seen = new Set<string>();
  const reserve = (username: string, path: string) => {
    if (username === ADMIN_USERNAME) {
      throw new LosError("LOS_E_CONFIG_INVALID", `MQTT user "${ADMIN_USERNAME}" is reserved for the generated admin`, { details: { path, username } });
    }
    if (seen.has(username)) {
      throw new LosError("LOS_E_CONFIG_INVALID", `MQTT user "${username}" is declared twice`, { details: { path, username } });
    }
    seen.add(username);
  };
  for (const a of agents) {
    reserve(a.id, "agents");
    const pw = a.passwordEnv === undefined ? "generated" : env[a.passwordEnv];
    if (pw === undefined || pw === "") {
      throw new LosError("LOS_E_SECRET_MISSING", `agent "${a.id}": environment variable ${a.passwordEnv} is not set`, {
        details: { agent: a.id, env: a.passwordEnv },
      });
    }
  }
  for (const u of configuredUsers) {
    reserve(u.username, "bus.users");
    if (!ROLES.includes(u.role)) {
      throw new LosError("LOS_E_CONFIG_INVALID", `bus user "${u.username}": role must be one of ${ROLES.join(", ")}`, {
        details: { path: "bus.users", username: u.username },
      });
    }
    const pw = env[u.passwordEnv];
    if (pw === undefined || pw === "") {
      throw new LosError(
        "LOS_E_SECRET_MISSING",
        `bus user "${u.username}": environment variable ${u.passwordEnv} is not set`,
        { details: { username: u.username, env: u.passwordEnv } },
      );
    }
  }

  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  let stored: UserRecord[] = [];
  let text: string | undefined;
  try {
    text = await readFile(credentialsFile, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new LosError("LOS_E_SECRET_MISSING", `cannot read ${credentialsFile}`, { cause: err });
    }
  }
  if (text !== undefined) {
    stored = parseRecords(text, credentialsFile);
    if (((await stat(credentialsFile)).mode & 0o077) !== 0) await chmod(credentialsFile, 0o600);
  }

  let createdAdmin = false;
  if (!stored.some((u) => u.username === ADMIN_USERNAME)) {
    const password = randomBytes(24).toString("base64url");
    stored.push(await hashPassword({ username: ADMIN_USERNAME, role: "admin" }, password, params));
    await writeSecretFile(adminPasswordFile, `${password}\n`);
    await writeSecretFile(credentialsFile, `${JSON.stringify({ version: 1, users: stored }, null, 2)}\n`);
    createdAdmin = true;
  }

  const records = [...stored.filter((u) => !seen.has(u.username))];
  for (const u of configuredUsers) {
    const user: { username: string; role: UserRole; tenant?: string } = { username: u.username, role: u.role };
    if (u.tenant !== undefined) user.tenant = u.tenant;
    records.push(await hashPassword(user, env[u.passwordEnv] as string, params));
  }
  for (const a of agents) {
    const user = { username: a.id, role: "agent" as const, ...(a.tenant !== undefined ? { tenant: a.tenant } : {}) };
    records.push(await hashPassword(user, await agentPassword(dataDir, a, env), params));
  }
  return { store: createCredentialStore(records), createdAdmin, credentialsFile, adminPasswordFile };
}
