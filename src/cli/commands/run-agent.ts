/**
 * `llmagentos run-agent <id>`: run one band, rules or module agent of a gateway config outside the
 * gateway, as an external agent over the MQTT agent protocol (docs/agent-protocol.md). This is what
 * an agent container runs. Exits 0 after a clean stop (SIGTERM, SIGINT or the gateway's `in/stop`),
 * 3 for config and secret problems (an agent that cannot be built included), 1 for the rest (the
 * agent gave up, the broker refused the login).
 */
import type { Command } from "commander";
import { DEFAULT_CONFIG } from "../data-options.js";

interface RunAgentOptions {
  config: string;
  url?: string;
  passwordFile?: string;
}

export function runAgentCommand(program: Command): void {
  program
    .command("run-agent")
    .description("run an agent of the config outside the gateway (e.g. in a container) over the MQTT agent protocol")
    .argument("<id>", "the agent's id in the config")
    .option("-c, --config <file>", "gateway config that declares the agent (env LOS_CONFIG)", DEFAULT_CONFIG)
    .option("--url <url>", "the gateway's MQTT broker, e.g. mqtt://gateway:1883 (default: the config's first TCP listener)")
    .option("--password-file <file>", "file with the agent's MQTT password (default: $<passwordEnv>, else <dataDir>/agents/<id>.password)")
    .addHelpText(
      "after",
      "\nThe agent logs in with username = its id. Exit codes: 0 stopped cleanly, 3 config, password or agent-config problem, 1 the agent failed or the login was refused.",
    )
    .action((id: string, opts: RunAgentOptions) => runAgent(id, opts));
}

/** Resolves after a clean stop; a failure is thrown as a coded error (main prints it and picks the exit code). */
async function runAgent(id: string, opts: RunAgentOptions): Promise<void> {
  // loaded only when the command runs: --help stays cheap
  const [{ readFile }, { default: mqtt }, { loadConfig }, { LosError }, { readAgentPassword }, { MqttShellPort }, { startAgentShell }, { VERSION }, { createLogger }, { isErrorCode }] =
    await Promise.all([
      import("node:fs/promises"),
      import("mqtt"),
      import("../../config/load.js"),
      import("../../core/errors.js"),
      import("../../bus/agent-credentials.js"),
      import("../../agents/external/mqtt-shell-port.js"),
      import("../../agents/isolation/agent-shell.js"),
      import("../../version.js"),
      import("../../core/logger.js"),
      import("../../agents/external/protocol.js"),
    ]);
  const loaded = loadConfig(opts.config);
  const cfg = loaded.config;
  const agent = cfg.agents?.find((a) => a.id === id);
  if (!agent) throw new LosError("LOS_E_CONFIG_INVALID", `no agent "${id}" in ${loaded.file}`, { details: { file: loaded.file, agent: id } });
  if (!agent.policy) {
    throw new LosError("LOS_E_AGENT_CONFIG", `agent "${id}" has no policy: run-agent runs band, rules and module agents; an external agent brings its own program`);
  }

  let password: string | undefined;
  if (opts.passwordFile) {
    try {
      password = (await readFile(opts.passwordFile, "utf8")).trim();
    } catch (err) {
      throw new LosError("LOS_E_SECRET_MISSING", `cannot read the password file ${opts.passwordFile}`, { cause: err });
    }
  } else if (agent.passwordEnv !== undefined) {
    password = process.env[agent.passwordEnv];
    if (!password) throw new LosError("LOS_E_SECRET_MISSING", `agent "${id}": environment variable ${agent.passwordEnv} is not set`);
  } else {
    password = await readAgentPassword(loaded.dataDir, id);
  }
  if (!password) {
    throw new LosError("LOS_E_SECRET_MISSING", `agent "${id}": no password: pass --password-file, or start the gateway once so it generates ${loaded.dataDir}/agents/${id}.password`);
  }

  const listener = cfg.bus.listeners.find((l) => l.kind === "tcp" && l.port !== 0);
  const url = opts.url ?? (listener ? `mqtt://${listener.host === "0.0.0.0" ? "127.0.0.1" : listener.host}:${listener.port}` : undefined);
  if (!url) throw new LosError("LOS_E_USAGE", "--url is needed: the config has no TCP listener with a fixed port");

  const scope = { site: cfg.site, gateway: cfg.gateway };
  const logger = createLogger("info").child({ agent: id });
  const client = mqtt.connect(url, {
    username: id,
    password,
    clientId: `los-agent-${id}-${process.pid}`,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    will: { topic: `los/v1/${scope.site}/${scope.gateway}/agents/${id}/gone`, payload: Buffer.from('{"message":"connection lost"}'), qos: 0, retain: false },
  });
  const port = new MqttShellPort({ client, scope, config: agent, configDir: loaded.dir, logger, version: VERSION });
  let warned = false;
  client.on("connect", () => void (warned = false));
  client.on("error", (err: Error & { code?: unknown }) => {
    // CONNACK 4 (bad user name or password) and 5 (not authorized) will not change by retrying
    if (err.code === 4 || err.code === 5) return port.abort({ exitCode: 1, code: "LOS_E_BUS_AUTH", message: `the broker at ${url} refused the login of agent "${id}": ${err.message}` });
    if (!warned) logger.warn({ err: err.message, url }, "cannot reach the gateway's broker; retrying every second");
    warned = true;
  });
  startAgentShell(port, { cpuMs: () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; } });

  const onSignal = () => port.stop();
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  const end = await port.ended;
  process.off("SIGTERM", onSignal);
  process.off("SIGINT", onSignal);
  // endAsync on a connection that never came up (refused login) would never settle
  if (client.connected) await client.endAsync().catch(() => {});
  else client.end(true);
  if (end.exitCode === 0) return logger.info({}, `agent ${id} stopped`);
  throw new LosError(isErrorCode(end.code) ? end.code : "LOS_E_AGENT_FAILED", `agent ${id} ended: ${end.message}`);
}
