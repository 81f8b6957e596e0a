/**
 * The host of an agent that runs outside the gateway (any language, or a container) and speaks
 * the MQTT agent protocol (docs/agent-protocol.md) over the gateway's broker. A session is one
 * MQTT connection of the agent's user that registered; everything else the agent sends is taken
 * only from that connection. Its requests go through the same checked calls as every agent's.
 */
import type { Client } from "aedes";
import type { BrokerHandle } from "../../bus/broker.js";
import { errorEnvelope, LosError, okEnvelope, type Envelope } from "../../core/errors.js";
import {
  AGENT_PROTOCOL_VERSION,
  agentBase,
  topics,
  type AgentActuateRequest,
  type AgentInboxKind,
  type AgentRegisterPayload,
  type AgentRequestKind,
  type AgentSessionInfo,
  type AgentTaskPayload,
  type GatewayScope,
} from "../../core/topics.js";
import type { Logger, Reading } from "../../core/types.js";
import type { IsolationKind } from "../../config/agent-schema.js";
import { disconnectClient, watchAgent } from "../external/agent-bus.js";
import { AgentProtocolError, isErrorCode, parseAgentRequest } from "../external/protocol.js";
import type { AgentExit, AgentHost, AgentUsage, HostFactory, HostOptions } from "./agent-host.js";

/** readings per `in/readings` message */
export const READINGS_PER_MESSAGE = 500;
/** actuation requests of one agent waiting for the gateway at once; more are refused */
export const MAX_ACTUATIONS_IN_FLIGHT = 16;

export interface ExternalSession {
  clientId: string;
  language: string;
  version?: string;
  pid?: number;
}

interface Session extends ExternalSession {
  client: Client;
}

const zeroUsage = (): AgentUsage => ({ cpuMs: 0, heapBytes: 0, decisions: 0, failures: 0 });

export class ExternalHost implements AgentHost {
  readonly kind: IsolationKind;
  #o: HostOptions;
  #log: Logger;
  #id: string;
  #broker: BrokerHandle | undefined;
  #scope: GatewayScope | undefined;
  #unwatch: (() => void) | undefined;
  #session: Session | undefined;
  #stopping: (() => void) | undefined;
  #usage = zeroUsage();
  #pending: Reading[] = [];
  #flushQueued = false;
  #inFlight = 0;
  #protocolErrors = 0;
  #lastReregister = -Infinity;

  constructor(o: HostOptions) {
    this.#o = o;
    this.#id = o.manifest.id;
    this.kind = o.manifest.isolation === "container" ? "container" : "external";
    this.#log = o.logger.child({ component: "external-host", agent: this.#id });
    this.#broker = o.broker;
    this.#scope = o.scope;
  }

  /** Starts listening for the agent; resolves at once (the agent may connect at any time). */
  async start(): Promise<void> {
    const broker = this.#broker;
    const scope = this.#scope;
    if (!broker || !scope) {
      throw new LosError("LOS_E_INTERNAL", `agent ${this.#id}: the ${this.kind} host needs the gateway's broker and scope (HostOptions.broker, HostOptions.scope)`);
    }
    if (this.#unwatch) return;
    this.#usage = zeroUsage();
    this.#unwatch = watchAgent(
      broker.aedes,
      agentBase(scope, this.#id),
      { message: (kind, payload, client) => this.#onMessage(kind, payload, client), disconnected: (client) => this.#lost(client) },
      this.#log,
    );
    // an agent still connected from before (a restart of this agent) registers again
    this.#send("reregister", {});
  }

  deliver(readings: readonly Reading[]): void {
    if (!this.#session || this.#stopping || readings.length === 0) return;
    for (const r of readings) this.#pending.push(r);
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    // one message for everything delivered in this turn of the event loop
    setImmediate(() => {
      this.#flushQueued = false;
      const batch = this.#pending;
      this.#pending = [];
      if (!this.#session) return;
      for (let i = 0; i < batch.length; i += READINGS_PER_MESSAGE) this.#send("readings", { readings: batch.slice(i, i + READINGS_PER_MESSAGE) });
    });
  }

  async stop(graceMs: number): Promise<void> {
    if (!this.#unwatch) return;
    const session = this.#session;
    if (session && !session.client.closed) {
      const clock = this.#o.clock;
      await new Promise<void>((resolve) => {
        const timer = clock.setTimeout(() => resolve(), graceMs);
        this.#stopping = () => {
          clock.clearTimeout(timer);
          resolve();
        };
        this.#send("stop", { graceMs });
      });
      if (!session.client.closed) disconnectClient(session.client);
    }
    this.#close();
  }

  kill(reason: AgentExit): void {
    if (!this.#unwatch) return;
    const client = this.#session?.client;
    this.#close();
    if (client) disconnectClient(client);
    queueMicrotask(() => this.#o.events.exited(reason));
  }

  usage(): AgentUsage {
    return { ...this.#usage };
  }

  /** Hand the registered agent a task (QoS 1); false when no agent is registered. */
  async assignTask(task: AgentTaskPayload): Promise<boolean> {
    if (!this.#session || this.#stopping) return false;
    await this.#publish("tasks", task, 1);
    return true;
  }

  /** The current session, if an agent is registered. */
  session(): ExternalSession | undefined {
    if (!this.#session) return undefined;
    const { client: _c, ...info } = this.#session;
    return info;
  }

  /** Malformed or out-of-session messages seen since the host was made. */
  protocolErrors(): number {
    return this.#protocolErrors;
  }

  #onMessage(kind: AgentRequestKind, payload: Buffer, client: Client): void {
    if (!this.#unwatch) return;
    if (kind === "register") return this.#register(payload, client);
    const s = this.#session;
    if (!s || s.client !== client) return this.#stranger(kind, payload, client);
    let req;
    try {
      req = parseAgentRequest(kind, payload);
    } catch (err) {
      return this.#malformed(err as AgentProtocolError, kind);
    }
    switch (req.kind) {
      case "heartbeat": {
        const u = req.body.usage ?? {};
        Object.assign(this.#usage, u);
        this.#o.events.heartbeat(u);
        return;
      }
      case "actuate":
        return void this.#actuate(req.body);
      case "log":
        return this.#o.calls.log(req.body.level, { ...req.body.obj, agent: this.#id, external: true }, req.body.msg);
      case "failed":
        return this.#end({ code: isErrorCode(req.body.code) ? req.body.code : "LOS_E_AGENT_FAILED", message: req.body.message ?? "the agent gave up" });
      case "stopped":
        if (this.#stopping) return this.#stopping();
        // a clean end the gateway did not ask for (SIGTERM to the agent): not a failure, still the dead-man rule
        return this.#end({ code: "LOS_E_CLOSED", message: "the agent stopped on its own" });
      case "gone":
        return this.#lost(client);
    }
  }

  #register(payload: Buffer, client: Client): void {
    const identity = this.#broker?.identityOf(client.id);
    if (identity?.role !== "agent" || identity.username !== this.#id) {
      // the broker ACL should already stop this; a register must come from the agent's own user
      this.#protocolErrors++;
      this.#log.warn({ code: "LOS_E_BUS_NOT_AUTHORIZED", clientId: client.id, username: identity?.username, role: identity?.role }, "register ignored: not the agent's MQTT user");
      return;
    }
    if (this.#stopping) return;
    let body;
    try {
      body = parseAgentRequest("register", payload).body as AgentRegisterPayload;
    } catch (err) {
      this.#protocolErrors++;
      this.#log.warn({ code: "LOS_E_AGENT_PROTOCOL", clientId: client.id, err: (err as Error).message }, "malformed register");
      return this.#send("registered", errorEnvelope(err, (err as AgentProtocolError).correlationId));
    }
    if (body.protocol !== AGENT_PROTOCOL_VERSION) {
      this.#protocolErrors++;
      const err = new LosError("LOS_E_AGENT_PROTOCOL", `agent protocol ${body.protocol} is not supported; this gateway speaks ${AGENT_PROTOCOL_VERSION}`);
      this.#log.warn({ code: err.code, clientId: client.id, protocol: body.protocol }, "register refused: protocol version");
      return this.#send("registered", errorEnvelope(err, body.correlationId));
    }
    const old = this.#session?.client;
    this.#session = { client, clientId: client.id, language: body.language };
    if (body.version !== undefined) this.#session.version = body.version;
    if (body.pid !== undefined) this.#session.pid = body.pid;
    if (old && old !== client) {
      this.#log.info({ oldClientId: old.id, clientId: client.id }, "agent registered from a new connection; the old one is closed");
      disconnectClient(old);
    } else if (!old) {
      this.#log.info({ clientId: client.id, language: body.language, version: body.version, pid: body.pid }, "external agent registered");
    }
    this.#send("registered", okEnvelope(this.#info(), body.correlationId));
    this.#o.events.heartbeat({});
    // what it may read now: changes alone would leave a late-joining agent blind until the next one
    const now = this.#o.snapshot?.();
    if (now && now.length > 0) this.deliver(now);
  }

  /** A message from a connection that has not registered: ask it to register (at most once per heartbeat period). */
  #stranger(kind: AgentRequestKind, payload: Buffer, client: Client): void {
    if (kind === "gone" || kind === "stopped" || kind === "failed") return;
    this.#protocolErrors++;
    if (kind === "actuate") {
      let cid: string | undefined;
      try {
        cid = (parseAgentRequest(kind, payload).body as AgentActuateRequest).correlationId;
      } catch (err) {
        cid = (err as AgentProtocolError).correlationId;
      }
      const err = new LosError("LOS_E_AGENT_PROTOCOL", "this connection has not registered: publish register first");
      if (cid !== undefined) this.#send("replies", errorEnvelope(err, cid));
    }
    const now = this.#o.clock.monotonic();
    if (now - this.#lastReregister < this.#o.manifest.heartbeatMs) return;
    this.#lastReregister = now;
    this.#log.debug({ clientId: client.id, kind }, "message from an unregistered connection; asking it to register");
    this.#send("reregister", {});
  }

  #malformed(err: AgentProtocolError, kind: AgentRequestKind): void {
    this.#protocolErrors++;
    this.#log.warn({ code: "LOS_E_AGENT_PROTOCOL", kind, correlationId: err.correlationId, err: err.message }, "malformed message from external agent");
    if (err.correlationId !== undefined) this.#send("replies", errorEnvelope(err, err.correlationId));
  }

  async #actuate(req: AgentActuateRequest): Promise<void> {
    let reply: Envelope<unknown>;
    if (this.#inFlight >= MAX_ACTUATIONS_IN_FLIGHT) {
      reply = errorEnvelope(new LosError("LOS_E_AGENT_RATE_LIMITED", `more than ${MAX_ACTUATIONS_IN_FLIGHT} actuation requests waiting; wait for replies`), req.correlationId);
    } else {
      this.#inFlight++;
      try {
        const r = await this.#o.calls.actuate(req.point, req.value, req.reason);
        reply = r.ok
          ? okEnvelope({ auditId: r.auditId, point: r.point, value: r.value }, req.correlationId)
          : { ok: false, error: { code: r.code, message: r.message, details: { auditId: r.auditId, point: r.point } }, correlationId: req.correlationId };
      } catch (err) {
        reply = errorEnvelope(err, req.correlationId);
      } finally {
        this.#inFlight--;
      }
    }
    if (this.#unwatch) this.#send("replies", reply);
  }

  #lost(client: Client): void {
    if (this.#session?.client !== client) return;
    if (this.#stopping) return this.#stopping();
    this.#end({ code: "LOS_E_AGENT_CRASHED", message: "disconnected" });
  }

  /** The agent ended on its own: forget it and tell the supervisor. */
  #end(reason: AgentExit): void {
    this.#log.warn({ code: reason.code, clientId: this.#session?.clientId }, `external agent ended: ${reason.message}`);
    this.#close();
    this.#o.events.exited(reason);
  }

  #close(): void {
    this.#unwatch?.();
    this.#unwatch = undefined;
    this.#session = undefined;
    this.#stopping = undefined;
    this.#pending = [];
  }

  #info(): AgentSessionInfo {
    const m = this.#o.manifest;
    const c = m.config.capabilities;
    const info: AgentSessionInfo = {
      agent: m.id,
      protocol: AGENT_PROTOCOL_VERSION,
      heartbeatMs: m.heartbeatMs,
      capabilities: { read: c.read ?? [], write: c.write ?? [], publish: c.publish ?? [], subscribe: c.subscribe ?? [] },
      limits: { messagesPerSecond: m.limits.messagesPerSecond, actuationsPerMinute: m.limits.actuationsPerMinute },
      base: agentBase(this.#scope as GatewayScope, m.id),
    };
    if (m.tenant !== undefined) info.tenant = m.tenant;
    return info;
  }

  #send(kind: AgentInboxKind, payload: object): void {
    void this.#publish(kind, payload, 0);
  }

  async #publish(kind: AgentInboxKind, payload: object, qos: 0 | 1): Promise<void> {
    const broker = this.#broker;
    const scope = this.#scope;
    if (!broker || !scope) return;
    try {
      await broker.client.publish(topics.agentInbox(scope, this.#id, kind), payload, { qos });
    } catch (err) {
      this.#log.debug({ err, kind }, "publish to external agent failed");
    }
  }
}

export const createExternalHost: HostFactory = (options) => new ExternalHost(options);
