/**
 * The agent shell's channel (the same shell that runs worker and process agents) carried over the
 * MQTT agent protocol: this is how `llmagentos run-agent` runs a band, rules or module agent outside
 * the gateway (in a container, on another box). Shell messages become protocol topics and back:
 * the gateway's task questions (in/cfp, in/award, in/tasks, in/cancel) become the shell's `ask`, its
 * answers become `bid`, `award-reply` and `task`, and its coordination requests `coordinate`.
 */
import type { MqttClient } from "mqtt";
import { LosError, okEnvelope, type Envelope } from "../../core/errors.js";
import type { AgentQuestion, BidOffer, CoordinationReply, TaskOutcome } from "../../core/task-types.js";
import {
  AGENT_PROTOCOL_VERSION,
  agentBase,
  type AgentRegisteredPayload,
  type AgentAwardPayload,
  type AgentCancelPayload,
  type AgentCfpPayload,
  type AgentRegisterPayload,
  type AgentRequestKind,
  type AgentTaskPayload,
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
  /** correlationId → the shell's request id and what it asked */
  #waiting = new Map<string, { id: number; kind: "actuate" | "coordinate" }>();
  /** the gateway's questions handed to the shell, by the id of the shell's `ask` */
  #asked = new Map<number, AgentQuestion>();
  #nextAsk = 0;
  /** the agent's skills as the shell last reported them (sent again in every register) */
  #skills: string[] | undefined;
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
        this.#log.info({ agent: this.#o.config.id }, "agent running");
        // the gateway learns the skills of the built agent (register went out before it was built)
        if (m.skills) this.#skills = m.skills;
        return this.#publish("heartbeat", m.skills ? { skills: m.skills } : {});
      case "heartbeat":
        if (m.skills) this.#skills = m.skills;
        return this.#publish("heartbeat", m.skills ? { usage: m.usage, skills: m.skills } : { usage: m.usage });
      case "actuate": {
        const correlationId = `${this.#session}-${m.id}`;
        this.#waiting.set(correlationId, { id: m.id, kind: "actuate" });
        const body = { correlationId, point: m.point, value: m.value, reason: m.reason };
        return this.#publish("actuate", m.key === undefined ? body : { ...body, idempotencyKey: m.key }, 1);
      }
      case "coordinate": {
        const correlationId = `${this.#session}-${m.id}`;
        this.#waiting.set(correlationId, { id: m.id, kind: "coordinate" });
        return this.#publish("coordinate", { correlationId, request: m.request }, 1);
      }
      case "answer":
        return this.#answer(m);
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
    if (this.#skills) body.skills = this.#skills;
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
      case "cfp":
        return this.#ask({ kind: "cfp", cfp: (body as AgentCfpPayload).cfp });
      case "award":
        return this.#ask({ kind: "award", award: (body as AgentAwardPayload).award });
      case "tasks":
        return this.#ask({ kind: "run", run: body as AgentTaskPayload });
      case "cancel": {
        const c = body as AgentCancelPayload;
        return this.#ask({ kind: "cancel", taskId: c.taskId, attempt: c.attempt, reason: c.reason });
      }
    }
  }

  /** Hand a task question to the shell; the gateway is trusted here, but not to send nonsense shapes. */
  #ask(question: AgentQuestion): void {
    const named = question.kind === "cfp" ? question.cfp : question.kind === "award" ? question.award : question.kind === "run" ? question.run : question;
    if (typeof named !== "object" || named === null || typeof named.taskId !== "string") {
      return this.#log.warn({ code: "LOS_E_AGENT_PROTOCOL", kind: question.kind }, "task question from the gateway without a task id: ignored");
    }
    if (!this.#initialised || !this.#handler) return; // not running yet: the gateway counts it unanswered
    const id = this.#nextAsk++;
    if (question.kind !== "cancel") this.#asked.set(id, question);
    this.#handler({ t: "ask", id, question });
  }

  /** The shell's answer to a question, published as the protocol's answer that names it. */
  #answer(m: Extract<FromAgent, { t: "answer" }>): void {
    const q = this.#asked.get(m.id);
    if (!q) return;
    this.#asked.delete(m.id);
    const failed = m.error ? `${m.error.code}: ${m.error.message}` : undefined;
    if (failed) this.#log.warn({ code: m.error?.code, question: q.kind }, `the agent could not answer: ${failed}`);
    switch (q.kind) {
      case "cfp": {
        const ref = { taskId: q.cfp.taskId, round: q.cfp.round };
        const offer = m.error ? undefined : (m.answer as BidOffer | null | undefined);
        // an offer the gateway refuses (not a finite value) is still sent: the refusal is the gateway's to count
        return this.#publish("bid", offer === undefined || offer === null ? { ...ref, decline: true } : { ...ref, ...offer }, 1);
      }
      case "award": {
        const ref = { taskId: q.award.taskId, attempt: q.award.attempt };
        const reply = m.error ? { accept: false, reason: failed } : (m.answer as object);
        return this.#publish("award-reply", { ...ref, ...reply }, 1);
      }
      case "run": {
        const ref = { taskId: q.run.taskId, attempt: q.run.attempt };
        const outcome = (m.error ? { ok: false, error: m.error } : m.answer) as TaskOutcome;
        // the protocol wants a code and a message: an Error thrown without one still reports a failure
        const report = outcome.ok ? outcome : { ok: false, error: { code: outcome.error.code || "LOS_E_AGENT_FAILED", message: outcome.error.message || "the task failed without a message" } };
        return this.#publish("task", { ...ref, ...report }, 1);
      }
      case "cancel":
        return;
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
    const waiting = cid === undefined ? undefined : this.#waiting.get(cid);
    if (cid === undefined || waiting === undefined) return;
    this.#waiting.delete(cid);
    const id = waiting.id;
    if (waiting.kind === "coordinate") return this.#handler?.({ t: "reply", id, envelope: okEnvelope(coordinationReply(envelope)) });
    // an actuation the gateway carried out and refused (it has an audit record) is a result, as in a worker
    const d = envelope.ok ? undefined : envelope.error.details;
    // the agent's actuate resolves with an ActuationResult, `ok` included, as in a worker
    const result: Envelope<unknown> = envelope.ok
      ? okEnvelope({ ...(envelope.data as object), ok: true })
      : typeof d?.auditId === "number" && typeof d.point === "string"
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
    for (const [cid, { id }] of this.#waiting) {
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

/** in/replies for a `coordinate` back into the CoordinationReply the agent's context expects (it never rejects). */
function coordinationReply(envelope: Envelope<unknown>): CoordinationReply {
  if (envelope.ok) return { ...(envelope.data as object), ok: true };
  const d = envelope.error.details ?? {};
  const reply: CoordinationReply = { ok: false, code: envelope.error.code, message: envelope.error.message };
  if (typeof d.holder === "string") reply.holder = d.holder;
  if (typeof d.until === "number") reply.until = d.until;
  return reply;
}
