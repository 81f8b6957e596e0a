/**
 * `llmagentos scan modbus <target>`: find the unit ids that answer behind a Modbus TCP peer or on an
 * RTU bus and the addresses each lets us read; print draft profiles (YAML) or the findings (--json)
 * on stdout and progress on stderr. The discovery itself is src/devices/discovery/modbus-scan.ts.
 */
import type { Command } from "commander";
import { LosError } from "../../core/errors.js";
import type { RegisterKind } from "../../config/profile-schema.js";
import type { ScanProgress, ScanTarget } from "../../devices/discovery/modbus-scan.js";
import { printJson } from "../output.js";

interface ScanModbusOptions {
  units?: string;
  kinds: string;
  maxAddress: string;
  timeout: string;
  baud: string;
  parity: string;
  json?: boolean;
}

const KINDS: readonly RegisterKind[] = ["holding", "input", "coil", "discrete"];

/** `host:port` (IPv6 as `[addr]:port`) is Modbus TCP; anything else is a serial path for RTU. */
export function parseScanTarget(text: string, baud: string, parity: string): ScanTarget {
  const tcp = /^(?:\[([^\]]+)\]|([^:/\\]+)):(\d+)$/.exec(text);
  if (tcp) {
    const port = Number(tcp[3]);
    if (!(port >= 1 && port <= 65535)) throw new LosError("LOS_E_USAGE", `target "${text}": port must be 1-65535`);
    return { type: "tcp", host: (tcp[1] ?? tcp[2])!, port };
  }
  const baudRate = /^\d+$/.test(baud) ? Number(baud) : NaN;
  if (!(baudRate >= 300 && baudRate <= 921_600)) throw new LosError("LOS_E_USAGE", `--baud "${baud}": expected a baud rate 300-921600`);
  if (parity !== "none" && parity !== "even" && parity !== "odd") throw new LosError("LOS_E_USAGE", `--parity "${parity}": expected none, even or odd`);
  return { type: "rtu", path: text, baudRate, parity };
}

/** Unit ids as a list and ranges ("1-10,17"); TCP allows 0-255, RTU 1-247. */
export function parseUnitRange(text: string, transport: "tcp" | "rtu"): number[] {
  const [lo, hi] = transport === "rtu" ? [1, 247] : [0, 255];
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    const a = m ? Number(m[1]) : NaN;
    const b = m?.[2] !== undefined ? Number(m[2]) : a;
    if (!(a >= lo && b <= hi && a <= b)) {
      throw new LosError("LOS_E_USAGE", `--units "${text}": expected ${transport.toUpperCase()} unit ids ${lo}-${hi} as a list and ranges, e.g. 1-10,17`);
    }
    for (let u = a; u <= b; u++) out.add(u);
  }
  return [...out];
}

export function parseKinds(text: string): RegisterKind[] {
  const kinds = text.split(",").map((s) => s.trim());
  const bad = kinds.filter((k) => !(KINDS as readonly string[]).includes(k));
  if (bad.length > 0 || kinds.length === 0) throw new LosError("LOS_E_USAGE", `--kinds "${text}": expected a list of ${KINDS.join(", ")}`);
  return [...new Set(kinds)] as RegisterKind[];
}

function parseInteger(text: string, option: string, min: number, max: number): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) throw new LosError("LOS_E_USAGE", `${option} "${text}": expected an integer ${min}-${max}`);
  return n;
}

function progressPrinter(): (p: ScanProgress) => void {
  const tty = process.stderr.isTTY === true;
  let lastTenth = -1;
  return (p) => {
    const line = `scan: ${p.probed}/${p.total} unit ids probed, ${p.found} found`;
    if (p.present) process.stderr.write(`${tty ? "\r\x1b[K" : ""}scan: unit ${p.unitId} answered\n`);
    const tenth = Math.floor((p.probed * 10) / p.total);
    if (tty) process.stderr.write(`\r\x1b[K${line}${p.probed === p.total ? "\n" : ""}`);
    else if (tenth !== lastTenth || p.probed === p.total) process.stderr.write(`${line}\n`);
    lastTenth = tenth;
  };
}

export function scanCommand(program: Command): void {
  const scan = program.command("scan").description("discover devices on a bus or behind an address");
  scan
    .command("modbus <target>")
    .description("find Modbus unit ids and their readable registers at host:port (TCP) or a serial path (RTU); prints draft profiles")
    .option("--units <ids>", "unit ids to probe, list and ranges (default: 1-247 on RTU; 1,255 on TCP)")
    .option("--kinds <list>", "register kinds to map", KINDS.join(","))
    .option("--max-address <n>", "last 0-based address probed per kind", "999")
    .option("--timeout <ms>", "per-request answer timeout; silence this long means no unit", "300")
    .option("--baud <n>", "RTU baud rate", "9600")
    .option("--parity <p>", "RTU parity: none, even or odd", "none")
    .option("--json", "print the findings as JSON instead of draft profiles")
    .action(async (targetText: string, opts: ScanModbusOptions) => {
      const target = parseScanTarget(targetText, opts.baud, opts.parity);
      const unitIds = parseUnitRange(opts.units ?? (target.type === "rtu" ? "1-247" : "1,255"), target.type);
      const kinds = parseKinds(opts.kinds);
      const maxAddress = parseInteger(opts.maxAddress, "--max-address", 0, 65535);
      const timeoutMs = parseInteger(opts.timeout, "--timeout", 10, 60_000);
      const { scanModbus } = await import("../../devices/discovery/modbus-scan.js"); // loaded only when the command runs
      const { draftProfilesYaml } = await import("../../devices/discovery/draft-profile.js");
      const result = await scanModbus({ target, unitIds, kinds, maxAddress, timeoutMs, onProgress: progressPrinter() });
      process.stderr.write(`scan: ${result.units.length} unit(s) found with ${result.requests} requests\n`);
      if (opts.json) return printJson(result);
      process.stdout.write(draftProfilesYaml(result, new Date().toISOString().slice(0, 10)));
    });
}
