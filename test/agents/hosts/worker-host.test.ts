import { WorkerHost } from "../../../src/agents/hosts/worker-host.js";
import { describeHostContract } from "./host-contract.js";

describeHostContract("worker", {
  create: (options) => new WorkerHost(options, { startTimeoutMs: 15_000 }),
  alive: (host) => host.alive,
});
