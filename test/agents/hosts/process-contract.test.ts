/** The shared host contract, run against the process host with its real sandbox layers. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processHostFactory } from "../../../src/agents/hosts/process-host.js";
import type { ProcessHost } from "../../../src/agents/hosts/process-host.js";
import { silentLogger } from "../../../src/core/types.js";
import { describeHostContract } from "./host-contract.js";

const factory = processHostFactory({ logger: silentLogger, sandbox: { startTimeoutMs: 15_000 } });

describeHostContract("process", {
  create: (options) => factory(options) as ProcessHost,
  alive: (host) => host.alive,
  // bundles go to the data dir: a fresh one, not the fixtures folder
  fixture: { dataDir: mkdtempSync(join(tmpdir(), "los-process-contract-")) },
});
