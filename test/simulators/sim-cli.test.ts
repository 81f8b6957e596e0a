/**
 * `llmagentos sim modbus` run alone in a child process: it prints its Modbus and control ports, a
 * fault injected over HTTP reaches a real Modbus client, and unit ids are checked per transport.
 */
import { afterEach, describe, expect, it } from "vitest";
import type ModbusRTU from "modbus-serial";
import { parseUnits } from "../../src/cli/commands/sim-modbus.js";
import { closeClient, rejection, tcpClient } from "./helpers.js";
import { startCli, type CliChild } from "../cli/run-cli.js";


type Child = CliChild;

const children: Child[] = [];
let client: ModbusRTU | undefined;

afterEach(async () => {
  if (client) await closeClient(client);
  client = undefined;
  for (const c of children.splice(0)) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
    await c.exited;
  }
});

function run(args: string[]): Child {
  const child = startCli(args);
  children.push(child);
  return child;
}

/** Resolve with the match once stdout contains `pattern` (fails if the child exits first). */
function waitForOutput(child: Child, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = pattern.exec(child.stdout());
      if (!m) return false;
      child.proc.stdout.off("data", check);
      resolve(m);
      return true;
    };
    if (check()) return;
    child.proc.stdout.on("data", check);
    void child.exited.then((code) => reject(new Error(`exited ${code} before printing ${pattern}; stdout: ${child.stdout()} stderr: ${child.stderr()}`)));
  });
}

describe("llmagentos sim modbus with --control-port", () => {
  it("prints both ports; no-answer injected over HTTP makes a Modbus client time out until it is cleared", async () => {
    const child = run(["sim", "modbus", "--port", "0", "--control-port", "0", "--duration", "5s"]);
    const [, modbusPort] = await waitForOutput(child, /on 127\.0\.0\.1:(\d+),/);
    const [, controlUrl] = await waitForOutput(child, /control API on (http:\/\/127\.0\.0\.1:\d+)/);

    client = await tcpClient(Number(modbusPort), 1, 300);
    expect((await client.readInputRegisters(0, 1)).data).toHaveLength(1);

    const injected = await fetch(`${controlUrl}/faults`, { method: "POST", body: JSON.stringify({ mode: "no-answer" }) });
    expect(injected.status).toBe(201);
    expect(await injected.json()).toMatchObject({ ok: true, data: { rule: { mode: "no-answer" } } });
    expect((await rejection(client.readInputRegisters(0, 1))).message).toBe("Timed out");

    const cleared = await fetch(`${controlUrl}/faults`, { method: "DELETE" });
    expect(await cleared.json()).toMatchObject({ ok: true, data: { removed: 1, rules: [], counts: { "no-answer": 1 } } });
    expect((await client.readInputRegisters(0, 1)).data).toHaveLength(1);

    const bad = await fetch(`${controlUrl}/faults`, { method: "POST", body: JSON.stringify({ mode: "melt" }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ ok: false, error: { code: "LOS_E_REQUEST_INVALID" } });

    await closeClient(client);
    client = undefined;
    expect(await child.exited, child.stderr()).toBe(0); // --duration 5s ends it
  });

  it("refuses unit id 0 on RTU (broadcast) with LOS_E_USAGE and exit code 2", async () => {
    const child = run(["sim", "modbus", "--rtu", "/nonexistent/tty", "--units", "1,0"]);
    expect(await child.exited).toBe(2);
    expect(child.stderr()).toContain('LOS_E_USAGE: --units "1,0": expected RTU unit ids 1-247 separated by commas (0 is the RTU broadcast address and 248-255 are reserved)');
  });
});

describe("--units per transport", () => {
  it("TCP takes 0..255, RTU 1..247; repeats and junk are refused", () => {
    expect(parseUnits("0,1,255", "tcp")).toEqual([0, 1, 255]);
    expect(parseUnits(" 1, 247", "rtu")).toEqual([1, 247]);
    for (const [text, transport] of [["0", "rtu"], ["248", "rtu"], ["256", "tcp"], ["1,1", "tcp"], ["1.5", "tcp"], ["", "tcp"], ["1,,2", "rtu"], ["0x10", "tcp"]] as const) {
      expect(() => parseUnits(text, transport), `${transport} ${text}`).toThrow(expect.objectContaining({ code: "LOS_E_USAGE" }));
    }
  });
});
