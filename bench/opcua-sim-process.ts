/**
 * Child process of the OPC-UA bench: the OPC-UA simulator with the "signals" model (N Double
 * variables that all change every `changeEveryMs`), so its CPU is never counted in the gateway's.
 * Prints `{"endpoint": …}` on one stdout line; answers `mark` with `{"steps": n}` (signal changes
 * made so far, each changing all N); answers the line `restart` on stdin with
 * `{"restartBegin": <epoch ms>}` and, once the server is up again, `{"restartEnd": <epoch ms>}`.
 * Runs until stdin closes. Usage: node --import tsx bench/opcua-sim-process.ts <count> <changeEveryMs>
 */
import { createInterface } from "node:readline";
import { startOpcuaSimulator } from "../simulators/opcua/simulator.js";

const count = Number(process.argv[2] ?? 2000);
const changeEveryMs = Number(process.argv[3] ?? 100);
const sim = await startOpcuaSimulator({ model: "signals", signals: { count, changeEveryMs } });
const say = (v: unknown) => process.stdout.write(`${JSON.stringify(v)}\n`);
say({ endpoint: sim.endpointUrl });

createInterface({ input: process.stdin }).on("line", (line) => {
  if (line.trim() === "mark") return say({ steps: sim.signals!.steps });
  if (line.trim() !== "restart") return;
  say({ restartBegin: Date.now() });
  sim.restart().then(
    () => say({ restartEnd: Date.now() }),
    (err: unknown) => say({ error: String(err) }),
  );
});
process.stdin.on("end", () => void sim.close().then(() => process.exit(0)));
