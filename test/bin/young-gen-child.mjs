// Child process of runtime.test.ts: applies the bin's V8 setting, allocates garbage with some
// survivors over many event-loop turns (so the new space has reason to grow), optionally starts a
// worker thread halfway (V8 resets the semi-space growth factor when an isolate is set up), and
// prints the largest semi-space seen, in MB. Usage: node young-gen-child.mjs <startupMs> [worker]
import { setImmediate, setTimeout } from "node:timers";
import { Worker } from "node:worker_threads";
import { semiSpaceMB, tuneV8 } from "../../bin/runtime.mjs";

const startupMs = Number(process.argv[2]);
const withWorker = process.argv[3] === "worker";
tuneV8(startupMs);

const TURNS = 400;
let keep = [];
let max = 0;
let turn = 0;
function step() {
  for (let i = 0; i < 5000; i++) {
    keep.push({ i, s: `x${i}` });
    if (keep.length > 20_000) keep = keep.slice(10_000);
  }
  max = Math.max(max, semiSpaceMB());
  turn += 1;
  if (turn === TURNS / 2 && withWorker) {
    const worker = new Worker("0", { eval: true });
    worker.once("exit", () => setImmediate(step));
    return;
  }
  if (turn < TURNS) setImmediate(step);
  else process.stdout.write(JSON.stringify({ max, final: semiSpaceMB() }));
}
// after tuneV8's own start-up timer when that is 0 (timers of equal delay run in creation order)
setTimeout(step, 0);
