/**
 * The agent shell's channel (the same shell that runs worker and process agents) carried over the
 * MQTT agent protocol: this is how `llmagentos run-agent` runs a band, rules or module agent outside
 * the gateway (in a container, on another box). Shell messages become protocol topics and back.
 */
import type { MqttClient } from "mqtt";
import { LosError, okEnvelope, type Envelope } from "../../core/errors.js";
import {
  AGENT_PROTOCOL_VERSION,
  agentBase,
  type AgentRegisteredPayload,
  type AgentRegisterPayload,
  type AgentRequestKind,
  type GatewayScope,
} from "../../core/topics.js";
import { silentLogger, type Logger, type Reading } from "../../core/types.js";
import type { AgentConfig } from "../../config/agent-schema.js";
import type { ShellPort } from "../isolation/agent-shell.js";
import type { FromAgent, ToAgent } from "../isolation/messages.js";

export interface MqttShellPortOptions {
  /** connected (or connecting) with username = agent id; reconnects are re-registered */
  client: MqttClient;
  scope: GatewayScope;
  config: AgentConfig;
  /** where module policies are resolved from */
  configDir: string;
  logger?: Logger;
  version?: string;
}

/** How the session ended: 0 after a clean stop, 1 when the agent failed or the gateway refused it. */
export interface PortEnd {
  exitCode: 0 | 1;
  code?: string;
  message: string;
}

const SUBTOPIC = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

/** Mirrors the supervisor's grant: `actions` always, else what capabilities.publish lists (`*`: any). */
function mayPublish(config: AgentConfig, sub: string): boolean {
  const granted = config.capabilities.publish ?? [];
  return SUBTOPIC.test(sub) && (sub === "actions" || granted.includes("*") || granted.includes(sub));
}

export class MqttShellPort implements ShellPort {
  readonly ended: Promise<PortEnd>;
  #o: MqttShellPortOptions;
  #log: Logger;
  #base: string;
  #handler: ((m: ToAgent) => void) | undefined;
  #initialised = false;
  #session = `${process.pid.toString(36)}${Date.now().toString(36)}`;
  /** correlationId → the shell's request id */
  #waiting = new Map<string, number>();
  #end!: (e: PortEnd) => void;
  #over = false;

  constructor(o: MqttShellPortOptions) {
    this.#o = o;
    this.#log = o.logger ?? silentLogger;
    this.#base = agentBase(o.scope, o.config.id);
    this.ended = new Promise((resolve) => (this.#end = resolve));
    o.client.on("message", (topic, payload) => this.#onMessage(topic, payload));
    o.client.on("connect", () => this.#register());
    o.client.on("close", () => this.#connectionLost());
    o.client.subscribe(`${this.#base}/in/#`, { qos: 1 });
    if (o.client.connected) this.#register();
  }

  onMessage(handler: (message: ToAgent) => void): void {
    this.#handler = handler;
  }

  send(m: FromAgent): void {
    switch (m.t) {
      case "ready":
        return this.#log.info({ agent: this.#o.config.id }, "agent running");
      case "heartbeat":
        return this.#publish("heartbeat", { usage: m.usage });
      case "actuate": {
        const correlationId = `${this.#session}-${m.id}`;
        this.#waiting.set(correlationId, m.id);
        return this.#publish("actuate", { correlationId, point: m.point, value: m.value, reason: m.reason }, 1);
      }
      case "publish":
        return this.#out(m.id, m.subtopic, m.payload);
      case "log":
        return this.#publish("log", m.obj === undefined ? { level: m.level, msg: m.msg } : { level: m.level, msg: m.msg, obj: m.obj });
      case "failed":
        this.#publish("failed", { code: m.code, message: m.message }, 1);
        return this.#finish({ exitCode: 1, code: m.code, message: m.message });
      case "stopped":
        this.#publish("stopped", {}, 1);
        return this.#finish({ exitCode: 0, message: "stopped" });
    }
  }

  close(): void {
    this.#finish({ exitCode: 0, message: "closed" });
  }

  /** Ask the agent to stop as the gateway's `in/stop` would (SIGTERM). */
  stop(): void {
    if (this.#initialised) this.#handler?.({ t: "stop" });
    else this.#finish({ exitCode: 0, message: "stopped before registering" });
  }

  /** End the session from outside (e.g. the broker refused the login). */
  abort(e: PortEnd): void {
    this.#finish(e);
  }

  #register(): void {
    const body: AgentRegisterPayload = { protocol: AGENT_PROTOCOL_VERSION, language: "node", pid: process.pid, correlationId: `${this.#session}-register` };
    if (this.#o.version !== undefined) body.version = this.#o.version;
    this.#publish("register", body, 1);
  }

  #onMessage(topic: string, payload: Buffer): void {
    if (!topic.startsWith(`${this.#base}/in/`) || this.#over) return;
    const kind = topic.slice(this.#base.length + 4);
    let body: unknown;
    try {
      body = JSON.parse(payload.toString("utf8"));
    } catch {
      return this.#log.warn({ code: "LOS_E_AGENT_PROTOCOL", topic }, "message from the gateway is not JSON");
    }
    switch (kind) {
      case "registered":
        return this.#registered(body as AgentRegisteredPayload);
      case "readings": {
        const readings = (body as { readings?: unknown }).readings;
        if (Array.isArray(readings)) this.#handler?.({ t: "readings", readings: readings as Reading[] });
        return;
      }
      case "replies":
        return this.#reply(body as Envelope<unknown>);
      case "stop":
        return this.stop();
      case "reregister":
        return this.#register();
      case "tasks":
        this.#log.warn({ task: body }, "this agent takes no tasks over the runner");
        return this.#publish("log", { level: "warn", msg: "task ignored: agents run by llmagentos run-agent take no tasks yet", obj: { task: (body as { id?: unknown }).id } });
    }
  }

  #registered(reply: AgentRegisteredPayload): void {
    if (!reply.ok) {
      this.#log.error({ code: reply.error.code }, `the gateway refused the agent: ${reply.error.message}`);
      return this.#finish({ exitCode: 1, code: reply.error.code, message: reply.error.message });
    }
    if (this.#initialised) return; // a re-registration after a reconnect: the agent keeps running
    this.#initialised = true;
    this.#handler?.({ t: "init", manifest: this.#o.config, configDir: this.#o.configDir, heartbeatMs: reply.data.heartbeatMs });
  }

  #reply(envelope: Envelope<unknown>): void {
    const cid = envelope.correlationId;
    const id = cid === undefined ? undefined : this.#waiting.get(cid);
    if (cid === undefined || id === undefined) return;
    this.#waiting.delete(cid);
    // an actuation the gateway carried out and refused (it has an audit record) is a result, as in a worker
    const d = envelope.ok ? undefined : envelope.error.details;
    const result: Envelope<unknown> =
      !envelope.ok && typeof d?.auditId === "number" && typeof d.point === "string"
        ? okEnvelope({ ok: false, auditId: d.auditId, point: d.point, code: envelope.error.code, message: envelope.error.message })
        : envelope;
    this.#handler?.({ t: "reply", id, envelope: result });
  }

  #out(id: number, subtopic: string, payload: unknown): void {
    if (!mayPublish(this.#o.config, subtopic)) {
      const err = new LosError("LOS_E_PUBLISH_NOT_PERMITTED", `sub-topic "${subtopic}" is not in capabilities.publish`);
      return this.#handler?.({ t: "reply", id, envelope: { ok: false, error: err.toJSON() } });
    }
    this.#o.client.publish(`${this.#base}/out/${subtopic}`, JSON.stringify(payload ?? null), { qos: 1 }, (err) => {
      const envelope: Envelope<unknown> = err ? { ok: false, error: { code: "LOS_E_CLOSED", message: err.message } } : okEnvelope(null);
      this.#handler?.({ t: "reply", id, envelope });
    });
  }

  /** Requests sent on a connection that is gone get no answer: end them so decisions do not hang. */
  #connectionLost(): void {
    for (const [cid, id] of this.#waiting) {
      this.#handler?.({ t: "reply", id, envelope: { ok: false, error: { code: "LOS_E_CLOSED", message: "the connection to the gateway was lost" } } });
      this.#waiting.delete(cid);
    }
  }

  #publish(kind: AgentRequestKind, body: object, qos: 0 | 1 = 0): void {
    if (this.#over && kind !== "failed" && kind !== "stopped") return;
    this.#o.client.publish(`${this.#base}/${kind}`, JSON.stringify(body), { qos }, (err) => {
      if (err) this.#log.debug({ err: err.message, kind }, "publish to the gateway failed");
    });
  }

  #finish(e: PortEnd): void {
    if (this.#over) return;
    this.#over = true;
    this.#end(e);
  }
}
