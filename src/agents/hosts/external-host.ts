/**
 * The host of an agent that runs outside the gateway (any language, or a container) and speaks
 * the MQTT agent protocol (docs/agent-protocol.md) over the gateway's broker. A session is one
 * MQTT connection of the agent's user that registered; everything else the agent sends is taken
 * only from that connection. Its requests go through the same checked calls as every agent's, and
 * the task layer's questions (call for proposals, award, run, cancel) go to its inbox and wait for
 * the answer that names them.
 */
import type { Client } from "aedes";
import type { BrokerHandle } from "../../bus/broker.js";
import { errorEnvelope, LosError, okEnvelope, type Envelope } from "../../core/errors.js";
import type { AgentAnswer, AgentQuestion } from "../../core/task-types.js";
import {
  AGENT_PROTOCOL_VERSION,
  agentBase,
  topics,
  type AgentActuateRequest,
  type AgentCoordinateRequest,
  type AgentInboxKind,
  type AgentRegisterPayload,
  type AgentRequestKind,
  type AgentSessionInfo,
  type GatewayScope,
} from "../../core/topics.js";
import type { Logger, Reading } from "../../core/types.js";
import type { IsolationKind } from "../../config/agent-schema.js";
import { disconnectClient, watchAgent } from "../external/agent-bus.js";
import { PendingAsks } from "../external/pending-asks.js";
import { AgentProtocolError, isErrorCode, parseAgentRequest, type AgentRequest } from "../external/protocol.js";
import { MAX_REQUESTS_IN_FLIGHT, RequestForwarder } from "../external/request-forwarder.js";
import { answerKey, answerOf } from "../external/task-protocol.js";
import type { AgentExit, AgentHost, AgentUsage, HostFactory, HostOptions } from "./agent-host.js";

/** readings per `in/readings` message */
export const READINGS_PER_MESSAGE = 500;
/** actuation requests of one agent waiting for the gateway at once; more are refused */
export const MAX_ACTUATIONS_IN_FLIGHT = MAX_REQUESTS_IN_FLIGHT;

export interface ExternalSession {
  clientId: string;
  language: string;
  version?: string;
  pid?: number;
  /** task types and skills declared in `register` */
  skills: string[];
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
  #forward: RequestForwarder;
  #asks = new PendingAsks();
  #protocolErrors = 0;
  #ignoredAnswers = 0;
  #lastReregister = -Infinity;

  constructor(o: HostOptions) {
    this.#o = o;
    this.#id = o.manifest.id;
    this.kind = o.manifest.isolation === "container" ? "container" : "external";
    this.#log = o.logger.child({ component: "external-host", agent: this.#id });
    this.#broker = o.broker;
    this.#scope = o.scope;
    this.#forward = new RequestForwarder(o.calls);
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

  /**
   * Publish the question to the agent's inbox (QoS 1) and wait for the answer that names it: a `bid`
   * with the task and round, an `award-reply` or `task` with the task and attempt. `cancel` is not
   * answered: it resolves once published.
   */
  ask<Q extends AgentQuestion>(question: Q, signal: AbortSignal): Promise<AgentAnswer<Q>> {
    if (!this.#session || this.#stopping) return Promise.reject(this.#notRunning());
    const q: AgentQuestion = question;
    switch (q.kind) {
      case "cfp":
        return this.#asks.wait(answerKey("cfp", q.cfp.taskId, q.cfp.round), signal, () => this.#publish("cfp", { cfp: q.cfp }, 1, true));
      case "award":
        return this.#asks.wait(answerKey("award", q.award.taskId, q.award.attempt), signal, () => this.#publish("award", { award: q.award }, 1, true));
      case "run":
        return this.#asks.wait(answerKey("run", q.run.taskId, q.run.attempt), signal, () => this.#publish("tasks", q.run, 1, true));
      case "cancel":
        if (signal.aborted) return Promise.reject(signal.reason);
        return this.#publish("cancel", { taskId: q.taskId, attempt: q.attempt, reason: q.reason }, 1, true) as Promise<AgentAnswer<Q>>;
    }
  }

  skills(): readonly string[] {
    return this.#session?.skills ?? [];
  }

  /** Questions waiting for an answer now. */
  pendingAsks(): number {
    return this.#asks.size();
  }

  /** Answers that named no open question (late bids, stale attempts, unknown tasks) since the host was made. */
  ignoredAnswers(): number {
    return this.#ignoredAnswers;
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
    if (req.kind === "bid" || req.kind === "award-reply" || req.kind === "task") return this.#answer(req);
    switch (req.kind) {
      case "heartbeat": {
        if (req.body.skills) s.skills = req.body.skills;
        const u = req.body.usage ?? {};
        Object.assign(this.#usage, u);
        this.#o.events.heartbeat(u);
        return;
      }
      case "actuate":
        return void this.#forward.actuate(req.body).then((reply) => this.#reply(reply));
      case "coordinate":
        return void this.#forward.coordinate(req.body).then((reply) => this.#reply(reply));
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
    if (old && old !== client) {
      // the questions went to the old connection; the new one may never have seen them
      this.#asks.rejectAll(new LosError("LOS_E_AGENT_UNKNOWN", `agent ${this.#id} registered from a new connection; questions to the old one are void`));
    }
    this.#session = { client, clientId: client.id, language: body.language, skills: body.skills ?? [] };
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
    if (kind === "actuate" || kind === "coordinate") {
      let cid: string | undefined;
      try {
        cid = (parseAgentRequest(kind, payload).body as AgentActuateRequest | AgentCoordinateRequest).correlationId;
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
    // garbage never settles a question, but the asker hears of it if no good answer follows
    if (err.answerKey !== undefined) this.#asks.malformed(err.answerKey, err);
  }

  #answer(req: Extract<AgentRequest, { kind: "bid" | "award-reply" | "task" }>): void {
    const { key, value } = answerOf(req);
    if (this.#asks.answer(key, value)) return;
    this.#ignoredAnswers++;
    this.#log.info({ kind: req.kind, answer: key }, "answer ignored: no open question names it (late, stale attempt or unknown task)");
  }

  #reply(reply: Envelope<unknown>): void {
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
    this.#asks.rejectAll(this.#notRunning());
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

  #notRunning(): LosError {
    return new LosError("LOS_E_AGENT_UNKNOWN", `external agent ${this.#id} is not connected`);
  }

  #send(kind: AgentInboxKind, payload: object): void {
    void this.#publish(kind, payload, 0);
  }

  /** `strict`: a failed publish rejects (a question must reach the agent), else it is logged */
  async #publish(kind: AgentInboxKind, payload: object, qos: 0 | 1, strict = false): Promise<void> {
    const broker = this.#broker;
    const scope = this.#scope;
    if (!broker || !scope) {
      if (strict) throw this.#notRunning();
      return;
    }
    try {
      await broker.client.publish(topics.agentInbox(scope, this.#id, kind), payload, { qos });
    } catch (err) {
      if (strict) throw err;
      this.#log.debug({ err, kind }, "publish to external agent failed");
    }
  }
}

export const createExternalHost: HostFactory = (options) => new ExternalHost(options);
