/**
 * Child process of the throughput bench: stands up `count` Modbus TCP simulators (registers model,
 * one unit id each, so every device gets its own socket as real devices would) and prints
 * `{"ports":[…]}` on one stdout line. Runs until stdin closes or SIGTERM, so its CPU is never counted
 * in the gateway's process. Usage: node --import tsx bench/sim-process.ts <count> [tickMs]
 */
import { startModbusSimulator, type ModbusSimulator } from "../simulators/modbus/simulator.js";
import { simulatorPoints } from "./register-map.js";

const count = Number(process.argv[2] ?? 100);
const tickMs = Number(process.argv[3] ?? 50);
const sims: ModbusSimulator[] = [];
for (let i = 0; i < count; i++) {
  sims.push(await startModbusSimulator({ transport: "tcp", port: 0, model: "registers", unitIds: [1], tickMs, seed: i + 1, registers: { points: simulatorPoints() } }));
}
process.stdout.write(`${JSON.stringify({ ports: sims.map((s) => s.port) })}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  const requests = sims.reduce((n, s) => n + s.stats().requests, 0);
  await Promise.all(sims.map((s) => s.close()));
  process.stderr.write(`sim-process: ${count} simulators closed after ${requests} requests\n`);
  process.exit(0);
};
process.stdin.on("end", () => void stop());
process.stdin.resume();
process.on("SIGTERM", () => void stop());
