/**
 * `startOpcuaSimulator` for `simulators/index.ts` without loading node-opcua up front: importing
 * node-opcua takes seconds and prints warnings, which every user of the index (the Modbus and
 * serial simulators, the demo) would otherwise pay. The module loads on the first call.
 */
import type { OpcuaSimulator, OpcuaSimulatorOptions } from "./simulator.js";

export async function startOpcuaSimulator(options: OpcuaSimulatorOptions = {}): Promise<OpcuaSimulator> {
  const { startOpcuaSimulator: start } = await import("./simulator.js");
  return start(options);
}
