// The loader worker's first module when the caller runs from the TypeScript sources (tsx, vitest):
// registers tsx's loader in this thread, then imports the TypeScript entry named in workerData.
import { workerData } from "node:worker_threads";

const { register } = await import("tsx/esm/api");
register();
await import(workerData.entry);
