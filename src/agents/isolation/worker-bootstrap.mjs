// The worker's first module when dist/ is stale or missing (a source checkout after an edit): plain
// JavaScript that registers tsx's loader in this thread, then runs the TypeScript entry named in
// workerData. Costs ~15 MB and ~150 ms more per worker than the compiled entry (docs/isolation.md).
import { workerData } from "node:worker_threads";

const { register } = await import("tsx/esm/api");
register();
await import(workerData.entry);
