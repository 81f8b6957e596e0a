/**
 * A small HTTP control API for a running Modbus simulator, so a simulator started alone
 * (`llmagentos sim modbus --control-port 0`) can be steered from curl, a test in another process or
 * a demo script: read the model state, inject and clear faults, advance the model, set raw
 * register values. Binds 127.0.0.1 only; every reply is the project envelope
 * `{ok: true, data} | {ok: false, error: {code, message}}`. See docs/simulators.md.
 *
 *   GET    /state                          units (model state), server stats, fault counts
 *   GET    /faults                         active rules and counts
 *   POST   /faults                         add a rule: FaultSpec JSON (+ "replace": true)
 *   DELETE /faults[?unit=<id>]             clear all rules, or those scoped to one unit
 *   DELETE /faults/<id>                    remove one rule added through this API
 *   POST   /step                           {"ms": n}: advance every model by n ms
 *   GET    /units/<id>/registers?kind=&address=&count=
 *   PUT    /units/<id>/registers           {"kind", "address", "values"}: set raw values
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { errorEnvelope, LosError, okEnvelope, toLosError } from "../../src/core/errors.js";
import type { FaultHandle } from "../modbus/faults.js";
import type { RegisterBank, RegisterKind } from "../modbus/register-bank.js";
import type { ModbusSimulator } from "../modbus/simulator.js";
import { invalid, parseFaultRequest, parseJsonBody, parseRegisterRead, parseRegisterWrite, parseStepRequest } from "./control-requests.js";

export interface ControlServerOptions {
  /** Default 0: the OS chooses; read it back from `port`. */
  port?: number;
}

export interface ControlServer {
  readonly host: string;
  readonly port: number;
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  close(): Promise<void>;
}

const HOST = "127.0.0.1";
const MAX_BODY_BYTES = 64 * 1024;

interface Reply {
  status: number;
  body: unknown;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: LosError,
  ) {
    super(error.message);
  }
}

const ok = (data: unknown, status = 200): Reply => ({ status, body: okEnvelope(data) });

export async function startControlServer(sim: ModbusSimulator, options: ControlServerOptions = {}): Promise<ControlServer> {
  /** Rules added through this API, removable by id. */
  const handles = new Map<number, FaultHandle>();

  const unitOf = (text: string) => {
    const unitId = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
    if (!sim.unitIds.includes(unitId)) {
      throw new HttpError(404, new LosError("LOS_E_DEVICE_UNKNOWN", `the simulator serves unit ids [${sim.unitIds.join(", ")}], not "${text}"`));
    }
    return unitId;
  };

  const state = () => ({
    transport: sim.transport,
    ...(sim.transport === "tcp" ? { host: sim.host, port: sim.port } : { path: sim.path }),
    unitIds: sim.unitIds,
    units: sim.unitIds.map((unitId) => {
      const model = sim.models.get(unitId)!;
      return { unitId, model: model.kind, state: model.snapshot() };
    }),
    stats: sim.stats(),
    faults: sim.faults.counts(),
  });

  const faults = () => ({ rules: sim.faults.rules(), counts: sim.faults.counts() });

  async function route(req: IncomingMessage, url: URL): Promise<Reply> {
    const method = req.method ?? "GET";
    const parts = url.pathname.split("/").filter(Boolean);
    const path = `/${parts.join("/")}`;
    const allow = (...methods: string[]) => {
      if (!methods.includes(method)) throw new HttpError(405, invalid(`${method} ${path}: use ${methods.join(" or ")}`));
    };
    const body = async () => parseJsonBody(await readBody(req));

    if (path === "/state") {
      allow("GET");
      return ok(state());
    }
    if (path === "/faults") {
      allow("GET", "POST", "DELETE");
      if (method === "GET") return ok(faults());
      if (method === "DELETE") {
        const unit = url.searchParams.get("unit");
        const unitId = unit === null ? undefined : unitOf(unit);
        const before = sim.faults.rules().length;
        sim.faults.clear(unitId);
        return ok({ removed: before - sim.faults.rules().length, ...faults() });
      }
      const { spec, replace } = parseFaultRequest(await body(), sim.unitIds);
      let handle: FaultHandle;
      try {
        handle = replace ? sim.faults.set(spec) : sim.faults.inject(spec);
      } catch (err) {
        if (err instanceof RangeError) throw invalid(err.message);
        throw err;
      }
      handles.set(handle.id, handle);
      return ok({ rule: sim.faults.rules().find((r) => r.id === handle.id) }, 201);
    }
    if (parts[0] === "faults" && parts.length === 2) {
      allow("DELETE");
      const handle = handles.get(Number(parts[1]));
      if (!handle || !sim.faults.rules().some((r) => r.id === handle.id)) {
        throw new HttpError(404, invalid(`no active fault rule ${parts[1]} added through this API; GET /faults lists them`));
      }
      handle.remove();
      handles.delete(handle.id);
      return ok(faults());
    }
    if (path === "/step") {
      allow("POST");
      sim.step(parseStepRequest(await body()));
      return ok(state());
    }
    if (parts[0] === "units" && parts.length === 3 && parts[2] === "registers") {
      allow("GET", "PUT");
      const unitId = unitOf(parts[1]!);
      const bank = sim.bank(unitId);
      if (method === "GET") {
        const { kind, address, count } = parseRegisterRead(url.searchParams);
        if (!bank.exists(kind, address, count)) throw invalid(`${kind} ${address}..${address + count - 1} is not in unit ${unitId}'s register map`);
        return ok({ unitId, kind, address, values: readRaw(bank, kind, address, count) });
      }
      const { kind, address, values } = parseRegisterWrite(await body());
      if (!bank.exists(kind, address, values.length)) {
        throw invalid(`${kind} ${address}..${address + values.length - 1} is not in unit ${unitId}'s register map`);
      }
      if (kind === "coil" || kind === "discrete") bank.setBits(kind, address, values.map((v) => v !== 0));
      else bank.setWords(kind, address, values);
      // the model takes the raw values in (sensors) and rewrites what it derives (status words)
      sim.models.get(unitId)!.sync();
      return ok({ unitId, kind, address, values: readRaw(bank, kind, address, values.length) });
    }
    throw new HttpError(404, invalid(`no route ${method} ${path}; see docs/simulators.md (GET /state, /faults, POST /step, PUT /units/<id>/registers)`));
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", `http://${HOST}`);
    void route(req, url)
      .catch((err: unknown): Reply => {
        if (err instanceof HttpError) return { status: err.status, body: errorEnvelope(err.error) };
        const e = toLosError(err);
        return { status: e.code === "LOS_E_REQUEST_INVALID" ? 400 : 500, body: errorEnvelope(e) };
      })
      .then((reply) => send(res, reply));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (cause) => reject(new LosError("LOS_E_SIM_START", `control API could not listen on ${HOST}:${options.port ?? 0}: ${cause.message}`, { cause })));
    server.listen(options.port ?? 0, HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    host: HOST,
    port,
    url: `http://${HOST}:${port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function send(res: ServerResponse, reply: Reply): void {
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Raw values as the write takes them: booleans for bits, words 0..65535 for registers. */
function readRaw(bank: RegisterBank, kind: RegisterKind, address: number, count: number): (number | boolean)[] {
  return kind === "coil" || kind === "discrete" ? bank.getBits(kind, address, count) : bank.getWords(kind, address, count);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("end", () => {
      if (size > MAX_BODY_BYTES) reject(new HttpError(413, invalid(`the request body exceeds ${MAX_BODY_BYTES} bytes`)));
      else resolve(Buffer.concat(chunks).toString("utf8"));
    });
    req.on("error", reject);
  });
}
