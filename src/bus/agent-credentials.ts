/**
 * Who logs in to the broker besides the generated admin, as the config says: `bus.users`, each
 * tenant's `users` (role tenant) and every external or container agent (a user named by the agent
 * id, role agent). An agent without `passwordEnv` gets a random password generated on first start
 * into `<dataDir>/agents/<id>.password` (mode 0600) and kept across restarts; the gateway and
 * `llmagentos run-agent` read it from there.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isolationOf } from "../config/agent-manifest.js";
import type { GatewayConfig } from "../config/gateway-schema.js";
import { LosError } from "../core/errors.js";
import type { ConfiguredUser } from "./credentials.js";

/** An agent's MQTT login: password from `passwordEnv`, else the generated file. */
export interface AgentLogin {
  id: string;
  tenant?: string;
  passwordEnv?: string;
}

export const AGENT_PASSWORD_DIR = "agents";

export function agentPasswordFile(dataDir: string, agentId: string): string {
  return join(dataDir, AGENT_PASSWORD_DIR, `${agentId}.password`);
}

/** The generated password of an agent, or undefined if none was generated yet. */
export async function readAgentPassword(dataDir: string, agentId: string): Promise<string | undefined> {
  const file = agentPasswordFile(dataDir, agentId);
  try {
    const text = (await readFile(file, "utf8")).trim();
    return text === "" ? undefined : text;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new LosError("LOS_E_SECRET_MISSING", `cannot read the password of agent "${agentId}" from ${file}`, { cause: err, details: { file } });
  }
}

/** The agent's generated password, created (0600, in a 0700 directory) if it does not exist yet. */
export async function loadOrCreateAgentPassword(dataDir: string, agentId: string): Promise<string> {
  const existing = await readAgentPassword(dataDir, agentId);
  if (existing !== undefined) return existing;
  const dir = join(dataDir, AGENT_PASSWORD_DIR);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = agentPasswordFile(dataDir, agentId);
  const password = randomBytes(24).toString("base64url");
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${password}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
  return password;
}

/** The password an agent logs in with: its `passwordEnv` variable, else the generated file. */
export async function agentPassword(
  dataDir: string,
  login: AgentLogin,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  if (login.passwordEnv === undefined) return loadOrCreateAgentPassword(dataDir, login.id);
  const pw = env[login.passwordEnv];
  if (pw === undefined || pw === "") {
    throw new LosError("LOS_E_SECRET_MISSING", `agent "${login.id}": environment variable ${login.passwordEnv} is not set`, {
      details: { agent: login.id, env: login.passwordEnv },
    });
  }
  return pw;
}

/** The MQTT logins a config declares: bus and tenant users, and external/container agents. */
export function loginsFromConfig(cfg: GatewayConfig): { users: ConfiguredUser[]; agents: AgentLogin[] } {
  const users: ConfiguredUser[] = (cfg.bus.users ?? []).map((u) => ({ ...u }));
  for (const t of cfg.tenants ?? []) {
    for (const u of t.users ?? []) users.push({ username: u.username, role: "tenant", tenant: t.id, passwordEnv: u.passwordEnv });
  }
  const agents: AgentLogin[] = [];
  for (const a of cfg.agents ?? []) {
    const isolation = isolationOf(a);
    if (isolation !== "external" && isolation !== "container") continue;
    agents.push({ id: a.id, ...(a.tenant !== undefined ? { tenant: a.tenant } : {}), ...(a.passwordEnv !== undefined ? { passwordEnv: a.passwordEnv } : {}) });
  }
  return { users, agents };
}
