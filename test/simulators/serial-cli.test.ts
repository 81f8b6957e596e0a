/**
 * `llmagentos sim serial` run alone in a child process: with --pty it prints the path for the
 * gateway, which a serialport reader opens to read checksummed NMEA or answered commands.
 */
import { afterEach, describe, expect, it } from "vitest";
import { verifyNmeaSentence } from "../../src/devices/serial/nmea-checksum.js";
import { waitFor } from "./helpers.js";
import { openReader, type SerialReader } from "./serial-helpers.js";
import { startCli, type CliChild } from "../cli/run-cli.js";


type Child = CliChild;

const children: Child[] = [];
let reader: SerialReader | undefined;

afterEach(async () => {
  await reader?.close();
  reader = undefined;
  for (const c of children.splice(0)) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGTERM");
    await c.exited;
  }
});

function run(args: string[]): Child {
  const child = startCli(args);
  children.push(child);
  return child;
}

async function printedPath(child: Child): Promise<string> {
  let exited = false;
  void child.exited.then(() => (exited = true));
  await waitFor(() => exited || /open (\S+) in the gateway/.test(child.stdout()), "the pty path", 15_000);
  const m = /open (\S+) in the gateway/.exec(child.stdout());
  if (!m) throw new Error(`no path printed; stdout: ${child.stdout()} stderr: ${child.stderr()}`);
  return m[1] as string;
}

describe("llmagentos sim serial", () => {
  it("--pty prints the path; the gateway's end reads valid GGA/GSA/RMC/VTG sentences", async () => {
    const child = run(["sim", "serial", "--model", "gps", "--pty", "--baud", "115200", "--period", "100ms"]);
    reader = await openReader(await printedPath(child), 115200);
    await waitFor(() => reader!.lines().filter((l) => l.startsWith("$GPVTG")).length >= 2, "two periods", 10_000);
    const lines = reader.lines();
    const start = lines.findIndex((l) => l.startsWith("$GPGGA"));
    const period = lines.slice(start, start + 4);
    expect(period.map((l) => l.slice(0, 6))).toEqual(["$GPGGA", "$GPGSA", "$GPRMC", "$GPVTG"]);
    for (const l of period) expect(verifyNmeaSentence(l), l).toMatchObject({ ok: true });
    child.proc.kill("SIGTERM");
    expect(await child.exited).toBe(0);
  });

  it("the command model answers over the printed path, behind its address", async () => {
    const child = run(["sim", "serial", "--model", "command", "--pty", "--address", "3", "--duration", "10s"]);
    reader = await openReader(await printedPath(child));
    reader.write("03:ID?\r\n");
    await waitFor(() => reader!.lines().length === 1, "the ID reply", 10_000);
    expect(reader.lines()).toEqual(["03:LLMAGENTOS,SIM-THP,SN000001,1.0"]);
  });

  it("refuses bad usage with LOS_E_USAGE and exit code 2", async () => {
    const cases = [
      ["--model", "gps"],
      ["--model", "gps", "--pty", "--path", "/dev/ttyUSB1"],
      ["--model", "sonar", "--pty"],
      ["--model", "gps", "--pty", "--rate", "fast"],
      ["--model", "gps", "--pty", "--address", "3"],
      ["--model", "command", "--pty", "--baud", "fast"],
    ];
    const runs = cases.map((args) => ({ args, child: run(["sim", "serial", ...args]) }));
    for (const { args, child } of runs) {
      expect(await child.exited, args.join(" ")).toBe(2);
      expect(child.stderr(), args.join(" ")).toContain("LOS_E_USAGE");
    }
  });
});
