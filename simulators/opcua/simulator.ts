/**
 * `startOpcuaSimulator(options)`: a real OPC-UA server (node-opcua) on loopback serving a water
 * tank, a bank of fast-changing signals, and/or variables given as data, with faults. Prints
 * nothing. The handle, for tests and for the gateway's OPC-UA driver tests:
 *
 * - `endpointUrl` (`opc.tcp://127.0.0.1:<port>`), `host`, `port`, `namespaceUri`, `namespaceIndex`
 *   (1: node ids are `ns=1;s=Tank.Level`, `ns=1;s=Signals.S0000`, or as given in `variables`),
 *   `nodeIds()` (every node served), `pkiDir`;
 * - `model` / `tank` / `signals`: the running model (`tank.setValve(…)`, `tank.override(…)`);
 *   `step(dtMs)` advances the tank and the wandering variables now and publishes;
 * - `serverCertificate()`: `{ der, pem, thumbprint }` for a client to trust;
 *   `trustClientCertificate(derOrPem)`: trust a client's application certificate and X509 user
 *   identity (or start with `autoAcceptCertificates: true`);
 * - `faults`: `slow`, `badStatus`, `removeNode` / `restoreNode`, `clear()` (see faults.ts);
 *   `restart({ downMs })`: shut the server down (every session, subscription and connection dies)
 *   and start it again on the same port with the same certificate, after `downMs` of the clock;
 * - `stats()`: reads, writes, refused writes, delayed reads, restarts, open sessions;
 * - `close()`: stop, and remove the PKI directory if the simulator made it.
 *
 * Security: endpoints None, Sign and SignAndEncrypt with Basic256Sha256; identities anonymous
 * (unless `allowAnonymous: false`), user name/password from `users`, and X509 certificates.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { resolveNodeId, type OPCUAServer, type StatusCode } from "node-opcua";
import { LosError } from "../../src/core/errors.js";
import { sleep, systemClock, type Clock, type TimerHandle } from "../../src/core/clock.js";
import { WaterTankModel, type WaterTankOptions } from "../models/water-tank.js";
import { CustomVariables, type OpcuaVariableSpec } from "./custom-variables.js";
import { OpcuaFaults } from "./faults.js";
import { NodeTable, type NodeSpec } from "./node-table.js";
import { certificateInfo, createOpcuaServer, pemToDer, type ServerCertificateInfo } from "./server-setup.js";
import { SignalsModel, signalNodes } from "./signals.js";
import { waterTankNodes } from "./tank-nodes.js";

export type OpcuaModelKind = "water-tank" | "signals" | "none";

export interface OpcuaSimulatorOptions {
  /** Address to bind and advertise (default 127.0.0.1). */
  host?: string;
  /** Default 0 (the OS chooses; read it back from `port`). Restarts reuse the chosen port. */
  port?: number;
  /** Where certificates and trust lists live (default: a temp dir made here and removed by close). */
  pkiDir?: string;
  /** Drives model ticks, signal changes, slow faults and restart downtime (default systemClock). */
  clock?: Clock;
  /** Tank and wandering-variable step interval in clock ms (default 1000). */
  tickMs?: number;
  seed?: number;
  /** Default "water-tank"; "none" serves only `variables`. */
  model?: OpcuaModelKind;
  waterTank?: Omit<WaterTankOptions, "seed">;
  /** For model "signals": how many (default 1000) and how often they all change (default 100 ms). */
  signals?: { count?: number; changeEveryMs?: number };
  /**
   * The URI of the simulator's own namespace (default node-opcua's, from the server's application
   * URI): set it to a vendor's, e.g. http://www.siemens.com/simatic-s7-opcua, to serve a profile
   * whose node ids name that namespace with nsu=.
   */
  namespaceUri?: string;
  /** Extra variables served as given (any device profile's nodes). */
  variables?: readonly OpcuaVariableSpec[];
  /** User name → password for UserName identities (default none). */
  users?: Readonly<Record<string, string>>;
  /** Default true. */
  allowAnonymous?: boolean;
  /** Trust every client certificate on first sight (default false: use trustClientCertificate). */
  autoAcceptCertificates?: boolean;
}

export interface OpcuaSimulatorStats {
  running: boolean;
  reads: number;
  writes: number;
  writesRefused: number;
  delayedReads: number;
  restarts: number;
  sessions: number;
}

export interface OpcuaSimulator {
  readonly endpointUrl: string;
  readonly host: string;
  readonly port: number;
  readonly pkiDir: string;
  readonly namespaceUri: string;
  readonly namespaceIndex: number;
  readonly model: WaterTankModel | SignalsModel | undefined;
  readonly tank: WaterTankModel | undefined;
  readonly signals: SignalsModel | undefined;
  readonly faults: OpcuaFaults;
  nodeIds(): string[];
  serverCertificate(): ServerCertificateInfo;
  trustClientCertificate(certificate: Buffer | string): Promise<void>;
  restart(options?: { downMs?: number }): Promise<void>;
  step(dtMs: number): void;
  stats(): OpcuaSimulatorStats;
  close(): Promise<void>;
}

const NAMESPACE_INDEX = 1; // node-opcua's own namespace comes right after the standard one

export async function startOpcuaSimulator(options: OpcuaSimulatorOptions = {}): Promise<OpcuaSimulator> {
  const clock = options.clock ?? systemClock;
  const host = options.host ?? "127.0.0.1";
  const tickMs = options.tickMs ?? 1000;
  const seed = options.seed ?? 1;
  const kind = options.model ?? "water-tank";
  if (!(tickMs > 0)) throw new LosError("LOS_E_SIM_START", `tickMs must be > 0, got ${tickMs}`);
  if (!["water-tank", "signals", "none"].includes(kind)) throw new LosError("LOS_E_SIM_START", `unknown OPC-UA simulator model "${kind}"; use water-tank, signals or none`);
  const changeEveryMs = options.signals?.changeEveryMs ?? 100;
  if (!(changeEveryMs > 0)) throw new LosError("LOS_E_SIM_START", `signals.changeEveryMs must be > 0, got ${changeEveryMs}`);

  const tank = kind === "water-tank" ? new WaterTankModel({ ...options.waterTank, seed }) : undefined;
  let signals: SignalsModel | undefined;
  try {
    signals = kind === "signals" ? new SignalsModel(options.signals?.count ?? 1000, seed) : undefined;
  } catch (err) {
    throw new LosError("LOS_E_SIM_START", (err as Error).message, { cause: err });
  }
  const custom = new CustomVariables(options.variables ?? [], NAMESPACE_INDEX, seed + 1, options.namespaceUri);
  const specs: NodeSpec[] = [...(tank ? waterTankNodes(tank) : []), ...(signals ? signalNodes(signals) : []), ...custom.specs];

  const counters = { reads: 0, writes: 0, writesRefused: 0, delayedReads: 0, restarts: 0 };
  let table: NodeTable;
  try {
    table = new NodeTable(specs, NAMESPACE_INDEX, {
      onWrite: (_key, status: StatusCode) => {
        if (status.isGood()) counters.writes++;
        else counters.writesRefused++;
        table.publish(); // dependent readings (mode, flows, pressure) follow the command at once
      },
    });
  } catch (err) {
    throw new LosError("LOS_E_SIM_START", (err as Error).message, { cause: err });
  }
  const faults = new OpcuaFaults(table, NAMESPACE_INDEX);

  const ownPki = options.pkiDir === undefined;
  const pkiDir = options.pkiDir ?? mkdtempSync(path.join(os.tmpdir(), "llmagentos-opcua-pki-"));
  mkdirSync(pkiDir, { recursive: true });
  const setup = {
    ...(options.namespaceUri ? { applicationUri: options.namespaceUri } : {}),
    host,
    port: options.port ?? 0,
    pkiDir,
    users: { ...(options.users ?? {}) },
    allowAnonymous: options.allowAnonymous ?? true,
    autoAcceptCertificates: options.autoAcceptCertificates ?? false,
  };

  let server: OPCUAServer | undefined;
  let certificate: ServerCertificateInfo | undefined;
  let namespaceUri = "";

  const startServer = async (): Promise<void> => {
    let s: OPCUAServer | undefined;
    try {
      s = await createOpcuaServer(setup);
      const engine = s.engine;
      const read = engine.read.bind(engine);
      engine.read = async (context, request) => {
        counters.reads++;
        const keys = (request.nodesToRead ?? []).map((n) => resolveNodeId(n.nodeId ?? "").toString());
        const delay = faults.takeReadDelay(keys);
        if (delay > 0) {
          counters.delayedReads++;
          await sleep(clock, delay);
        }
        return read(context, request);
      };
      const namespace = engine.addressSpace?.getOwnNamespace();
      if (!namespace) throw new Error("the server has no address space after initialize()");
      namespaceUri = namespace.namespaceUri;
      table.attach(namespace);
      await s.start();
    } catch (err) {
      table.detach();
      await s?.shutdown(0).catch(() => {});
      throw new LosError("LOS_E_SIM_START", `the OPC-UA simulator could not start on ${host}:${setup.port}: ${(err as Error).message}`, { cause: err });
    }
    server = s;
    setup.port = s.endpoints[0]?.port ?? setup.port;
    certificate ??= certificateInfo(Buffer.from(s.getCertificate()));
  };

  // `running` (server defined) turns false only once the listener is closed
  const stopServer = async (): Promise<void> => {
    const s = server;
    table.detach();
    try {
      if (s) await s.shutdown(0);
    } finally {
      if (server === s) server = undefined;
    }
  };

  try {
    await startServer();
  } catch (err) {
    if (ownPki) rmSync(pkiDir, { recursive: true, force: true });
    throw err;
  }

  // Model ticks keep running while the server is down for a restart, as the plant does.
  const loops: { timer?: TimerHandle }[] = [];
  let closed = false;
  const every = (ms: number, fn: (dtMs: number) => void) => {
    const loop: { timer?: TimerHandle } = {};
    loops.push(loop);
    let last = clock.monotonic();
    const schedule = () => {
      loop.timer = clock.setTimeout(() => {
        const now = clock.monotonic();
        fn(now - last);
        last = now;
        if (!closed) schedule();
      }, ms);
      loop.timer.unref?.();
    };
    schedule();
  };
  const advance = (dtMs: number) => {
    tank?.step(dtMs);
    custom.step(dtMs);
    table.publish();
  };
  if (tank || (options.variables?.length ?? 0) > 0) every(tickMs, advance);
  if (signals) {
    const model = signals;
    every(changeEveryMs, () => {
      model.step();
      table.publish();
    });
  }

  let restarting: Promise<void> | undefined;
  const stopping = new AbortController();
  return {
    endpointUrl: `opc.tcp://${host}:${setup.port}`,
    host,
    port: setup.port,
    pkiDir,
    get namespaceUri() {
      return namespaceUri;
    },
    namespaceIndex: NAMESPACE_INDEX,
    model: tank ?? signals,
    tank,
    signals,
    faults,
    nodeIds: () => table.keys(),
    serverCertificate: () => certificate as ServerCertificateInfo,
    async trustClientCertificate(cert: Buffer | string): Promise<void> {
      const der = typeof cert === "string" ? pemToDer(cert) : cert;
      // the running server's managers (their in-memory trust index); the folders outlive restarts
      const s = server ?? (await waitForServer());
      await s.serverCertificateManager.trustCertificate(der);
      await s.userCertificateManager.trustCertificate(der);
    },
    restart(restartOptions: { downMs?: number } = {}): Promise<void> {
      if (closed) return Promise.reject(new LosError("LOS_E_CLOSED", "the OPC-UA simulator is closed"));
      const downMs = restartOptions.downMs ?? 0;
      restarting ??= (async () => {
        try {
          // downtime counts from the restart call, so a test may advance its clock at once
          const down = downMs > 0 ? sleep(clock, downMs, stopping.signal).catch(() => {}) : undefined;
          await stopServer();
          await down;
          if (closed) return;
          await startServer();
          counters.restarts++;
        } finally {
          restarting = undefined;
        }
      })();
      return restarting;
    },
    step(dtMs: number): void {
      advance(dtMs);
    },
    stats: () => ({ ...counters, running: server !== undefined, sessions: server?.currentSessionCount ?? 0 }),
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      stopping.abort();
      for (const loop of loops) if (loop.timer) clock.clearTimeout(loop.timer);
      await restarting?.catch(() => {});
      await stopServer();
      if (ownPki) rmSync(pkiDir, { recursive: true, force: true });
    },
  };

  async function waitForServer(): Promise<OPCUAServer> {
    await restarting;
    if (!server) throw new LosError("LOS_E_CLOSED", "the OPC-UA simulator is not running");
    return server;
  }
}
