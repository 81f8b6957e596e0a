/**
 * `llmagentos sim opcua`: an OPC-UA server (water tank or benchmark signals) on loopback. node-opcua
 * is imported inside the action, so `llmagentos --help` and the other commands never load it.
 */
import type { Command } from "commander";
import { LosError } from "../../core/errors.js";
import { parseDuration } from "../time-arg.js";
import { waitForStop } from "../wait-for-signal.js";
import { parsePort } from "./sim-modbus.js";

interface SimOpcuaOptions {
  model: string;
  host: string;
  port: string;
  pkiDir?: string;
  user: string[];
  anonymous: boolean;
  signals: string;
  changeEvery: string;
  autoAcceptCerts?: boolean;
  seed: string;
  duration?: string;
}

/** `name:password` pairs (the password may contain colons) into a map. */
export function parseUsers(pairs: readonly string[]): Record<string, string> {
  const users: Record<string, string> = {};
  for (const pair of pairs) {
    const colon = pair.indexOf(":");
    if (colon < 1 || colon === pair.length - 1) throw new LosError("LOS_E_USAGE", `--user "${pair.split(":")[0]}:…": expected name:password with both parts non-empty`);
    const name = pair.slice(0, colon);
    if (Object.hasOwn(users, name)) throw new LosError("LOS_E_USAGE", `--user ${name} is given twice`);
    users[name] = pair.slice(colon + 1);
  }
  return users;
}

function wholeNumber(text: string, option: string, min: number, max: number): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) throw new LosError("LOS_E_USAGE", `${option} "${text}": expected a whole number ${min}-${max}`);
  return n;
}

export function simOpcuaCommand(sim: Command): void {
  sim
    .command("opcua")
    .description("an OPC-UA server (None, Sign, SignAndEncrypt with Basic256Sha256) serving a water tank or N fast-changing signals")
    .option("--model <name>", "water-tank or signals", "water-tank")
    .option("--host <addr>", "address to bind and advertise in the endpoint URL", "127.0.0.1")
    .option("--port <n>", "TCP port; 0 lets the OS choose", "4840")
    .option("--pki-dir <dir>", "keep the server certificate and trust lists here (default: a temp dir removed at exit)")
    .option("--user <name:password>", "accept this user name and password (repeatable)", (v: string, acc: string[]) => [...acc, v], [])
    .option("--no-anonymous", "refuse anonymous sessions")
    .option("--auto-accept-certs", "trust every client certificate on first sight (default: only those in <pki-dir>/server/trusted)")
    .option("--signals <n>", "signals model: how many variables", "1000")
    .option("--change-every <ms>", "signals model: every variable changes this often, ms", "100")
    .option("--seed <n>", "seed of the model", "1")
    .option("--duration <d>", "stop after this long (e.g. 30s); default: until Ctrl-C")
    .action(async (opts: SimOpcuaOptions) => {
      if (opts.model !== "water-tank" && opts.model !== "signals") {
        throw new LosError("LOS_E_USAGE", `--model "${opts.model}": expected water-tank or signals`);
      }
      const port = parsePort(opts.port, "--port");
      const users = parseUsers(opts.user);
      if (!opts.anonymous && Object.keys(users).length === 0) {
        throw new LosError("LOS_E_USAGE", "--no-anonymous needs at least one --user name:password (or clients could not log in at all)");
      }
      const signals = { count: wholeNumber(opts.signals, "--signals", 1, 100_000), changeEveryMs: wholeNumber(opts.changeEvery, "--change-every", 1, 3_600_000) };
      const seed = wholeNumber(opts.seed, "--seed", 0, 2 ** 31 - 1);
      const duration = opts.duration ? parseDuration(opts.duration) : undefined;
      const { startOpcuaSimulator } = await import("../../../simulators/opcua/simulator.js"); // node-opcua: only when the command runs
      const s = await startOpcuaSimulator({
        model: opts.model,
        host: opts.host,
        port,
        pkiDir: opts.pkiDir,
        users,
        allowAnonymous: opts.anonymous,
        autoAcceptCertificates: opts.autoAcceptCerts === true,
        signals,
        seed,
      });
      const what = opts.model === "signals" ? `${signals.count} signals changing every ${signals.changeEveryMs} ms` : "water tank";
      const who = [opts.anonymous ? "anonymous" : undefined, ...Object.keys(users).map((u) => `user ${u}`), "X509"].filter(Boolean).join(", ");
      process.stdout.write(`opcua simulator (${what}) on ${s.endpointUrl}; Ctrl-C stops\n`);
      process.stdout.write(`server certificate thumbprint ${s.serverCertificate().thumbprint} (SHA-1); PKI in ${s.pkiDir}\n`);
      process.stdout.write(`security None, Sign, SignAndEncrypt (Basic256Sha256); identities: ${who}\n`);
      await waitForStop(duration);
      await s.close();
    });
}
