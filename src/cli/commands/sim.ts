/**
 * `llmagentos sim <protocol>`: device simulators that speak the real protocol on loopback or a pty.
 * Each protocol declares its subcommand in its own module.
 */
import type { Command } from "commander";
import { simModbusCommand } from "./sim-modbus.js";
import { simOpcuaCommand } from "./sim-opcua.js";
import { simSerialCommand } from "./sim-serial.js";

export function simCommand(program: Command): void {
  const sim = program.command("sim").description("run a device simulator that speaks the real protocol");
  for (const add of [simModbusCommand, simSerialCommand, simOpcuaCommand]) add(sim);
}
