/**
 * `llmagentos browse opcua <endpoint>`: walk an OPC-UA server's address space, print the tree and
 * a draft profile (or everything as JSON); progress on stderr. The walk is
 * src/devices/discovery/opcua-browse.ts, loaded (with node-opcua) only when the command runs.
 */
import type { Command } from "commander";
import { LosError } from "../../core/errors.js";
import { printJson } from "../output.js";

interface BrowseOpcuaOptions {
  depth: string;
  maxNodes: string;
  root?: string;
  security: string;
  user?: string;
  dataDir?: string;
  timeout: string;
  json?: boolean;
}

const MODES = ["None", "Sign", "SignAndEncrypt"] as const;

function positive(text: string, flag: string, max: number): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= max)) throw new LosError("LOS_E_USAGE", `${flag} "${text}": expected a whole number 1-${max}`);
  return n;
}

export function browseCommand(program: Command): void {
  const browse = program.command("browse").description("discover what a device offers and draft its profile");
  browse
    .command("opcua")
    .description("walk an OPC-UA server from Objects: print the tree and a draft profile (writable points need an envelope before use)")
    .argument("<endpoint>", "opc.tcp://host:port")
    .option("--depth <n>", "levels below the root", "6")
    .option("--max-nodes <n>", "stop after this many nodes", "5000")
    .option("--root <nodeId>", "start here instead of Objects, e.g. ns=3;s=\"DB1\"")
    .option("--security <mode>", "None, Sign or SignAndEncrypt (the server must trust this host's certificate: see llmagentos certs)", "None")
    .option("--user <name>", "user name; the password is read from env LLMAGENTOS_OPCUA_PASSWORD")
    .option("-d, --data-dir <dir>", "certificate store of this data dir (default: a per-user temp store)")
    .option("--timeout <ms>", "per-request timeout", "10000")
    .option("--json", "print the tree and the variables as JSON")
    .action(async (endpoint: string, opts: BrowseOpcuaOptions) => {
      if (!/^opc\.tcp:\/\//.test(endpoint)) throw new LosError("LOS_E_USAGE", `endpoint "${endpoint}": expected opc.tcp://host:port`);
      if (!(MODES as readonly string[]).includes(opts.security)) throw new LosError("LOS_E_USAGE", `--security "${opts.security}": expected ${MODES.join(", ")}`);
      let user: { username: string; password: string } | undefined;
      if (opts.user) {
        const password = process.env.LLMAGENTOS_OPCUA_PASSWORD;
        if (!password) throw new LosError("LOS_E_SECRET_MISSING", `--user ${opts.user}: set the password in environment variable LLMAGENTOS_OPCUA_PASSWORD`);
        user = { username: opts.user, password };
      }
      const { opcuaLogsToStderr } = await import("../../devices/opcua/opcua-client-setup.js");
      opcuaLogsToStderr();
      const { browseOpcua } = await import("../../devices/discovery/opcua-browse.js");
      const { draftOpcuaProfileYaml, formatTree } = await import("../../devices/discovery/opcua-browse-draft.js");
      process.stderr.write(`browsing ${endpoint}…\n`);
      const result = await browseOpcua({
        endpoint,
        depth: positive(opts.depth, "--depth", 50),
        maxNodes: positive(opts.maxNodes, "--max-nodes", 1_000_000),
        securityMode: opts.security as (typeof MODES)[number],
        timeoutMs: positive(opts.timeout, "--timeout", 600_000),
        ...(opts.root ? { root: opts.root } : {}),
        ...(user ? { user } : {}),
        ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
        onProgress: (n) => process.stderr.write(`\r${n} nodes`),
      });
      process.stderr.write(`\r${result.nodes} nodes, ${result.variables.length} variables${result.truncated ? " (stopped at --max-nodes)" : ""}\n`);
      if (opts.json) return printJson(result);
      const date = new Date().toISOString().slice(0, 10);
      process.stdout.write(`${formatTree(result)}\n\n---\n${draftOpcuaProfileYaml(result, date)}`);
      process.stderr.write("the draft profile above does not load until every `envelope: FILL_IN` is replaced with real limits; then save it as devices/<vendor>/<model>.yaml and run llmagentos validate\n");
    });
}
