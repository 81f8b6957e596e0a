/**
 * Runs inside an isolated agent (a worker thread or a child process): builds the agent from its
 * manifest, hosts it in a one-agent runtime whose actuate and publish are requests to the gateway,
 * feeds it the readings the gateway sends, and reports a heartbeat with its usage. The gateway
 * checks every request again: nothing here is trusted, it only makes well-behaved agents easy.
 */
import v8 from "node:v8";
import { systemClock } from "../../core/clock.js";
import { LosError, toLosError, type Envelope } from "../../core/errors.js";
import { LiveValues } from "../../core/live-values.js";
import type { AgentQuestion, CoordinationReply } from "../../core/task-types.js";
import type { Logger } from "../../core/types.js";
import type { ActuationResult } from "../../devices/actuation.js";
import { createAgentFromConfig } from "../from-config.js";
import type { LogLevel } from "../hosts/agent-host.js";
import { AgentRuntime } from "../runtime.js";
import { MAX_AGENT_STRING, type FromAgent, type ToAgent } from "./messages.js";
import { isAccessDenied } from "./node-permissions.js";

/** The agent's end of the channel to the gateway. */
export interface ShellPort {
  send(message: FromAgent): void;
  onMessage(handler: (message: ToAgent) => void): void;
  /** leave: close the channel so the worker or process can end */
  close(): void;
}

export interface ShellOptions {
  /** CPU time used so far by this agent, ms (process.cpuUsage in a child, event-loop time in a worker) */
  cpuMs(): number;
}

/** Log fields as plain JSON (what both channels carry), bounded; anything else becomes a string. */
function plainFields(fields: Record<string, unknown>): Record<string, unknown> {
  try {
    const text = JSON.stringify(fields, (_k, v: unknown) => (v instanceof Error ? { name: v.name, message: v.message } : typeof v === "bigint" ? String(v) : v));
    if (text !== undefined && text.length <= MAX_AGENT_STRING) return JSON.parse(text) as Record<string, unknown>;
    return { fields: `${(text ?? "").slice(0, 200)}… (cut)` };
  } catch {
    return { fields: "(not serialisable)" };
  }
}

function portLogger(port: ShellPort, bindings: Record<string, unknown>): Logger {
  const at =
    (level: LogLevel) =>
    (obj: object | string, msg?: string): void => {
      const text = typeof obj === "string" ? obj : (msg ?? "");
      const fields = typeof obj === "string" ? bindings : { ...bindings, ...obj };
      port.send({ t: "log", level, msg: text.slice(0, MAX_AGENT_STRING), obj: plainFields(fields) });
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), child: (b) => portLogger(port, { ...bindings, ...b }) };
}

export function startAgentShell(port: ShellPort, options: ShellOptions): void {
  let runtime: AgentRuntime | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let nextId = 0;
  const waiting = new Map<number, (envelope: Envelope<unknown>) => void>();
  const live = new LiveValues();

  let closed = false;
  const request = (message: (id: number) => FromAgent): Promise<unknown> =>
    new Promise((resolve, reject) => {
      if (closed) return reject(new LosError("LOS_E_CLOSED", "the agent is stopping"));
      const id = nextId++;
      waiting.set(id, (envelope) => (envelope.ok ? resolve(envelope.data) : reject(new LosError(envelope.error.code, envelope.error.message))));
      try {
        port.send(message(id));
      } catch (err) {
        // e.g. a payload the channel cannot carry (a function, a cycle over JSON)
        waiting.delete(id);
        reject(new LosError("LOS_E_REQUEST_INVALID", `cannot send this to the gateway: ${(err as Error).message}`, { cause: err }));
      }
    });

  let agentId = "";
  let skillsSent = "";
  /** the agent's skills when they changed since the last report (onTask may come after ready) */
  const newSkills = (): string[] | undefined => {
    const skills = runtime?.get(agentId)?.skills ?? [];
    const key = skills.join("\n");
    if (key === skillsSent) return undefined;
    skillsSent = key;
    return [...skills];
  };
  const beat = () => {
    const stats = runtime?.stats()[0];
    const usage = { cpuMs: options.cpuMs(), heapBytes: v8.getHeapStatistics().used_heap_size, decisions: stats?.decisions ?? 0, failures: stats?.failures ?? 0 };
    const skills = newSkills();
    port.send(skills ? { t: "heartbeat", usage, skills } : { t: "heartbeat", usage });
  };

  /** a task question answered by the one-agent runtime; what cannot be sent is an error answer */
  const answer = (id: number, question: AgentQuestion) => {
    const never = new AbortController().signal;
    const ask = runtime ? runtime.ask(agentId, question, never) : Promise.reject(new LosError("LOS_E_AGENT_UNKNOWN", "the agent is not running"));
    ask.then(
      (a) => {
        try {
          port.send({ t: "answer", id, answer: a });
        } catch (err) {
          port.send({ t: "answer", id, error: { code: "LOS_E_AGENT_FAILED", message: `the answer cannot be sent: ${(err as Error).message}`.slice(0, MAX_AGENT_STRING) } });
        }
      },
      (err: unknown) => {
        const e = toLosError(err, "LOS_E_AGENT_FAILED");
        port.send({ t: "answer", id, error: { code: e.code, message: e.message.slice(0, MAX_AGENT_STRING) } });
      },
    );
  };

  const leave = async () => {
    if (closed) return;
    closed = true;
    if (heartbeat) clearInterval(heartbeat);
    await runtime?.stop();
    // requests still waiting will get no answer: end them rather than leave decisions hanging
    for (const answer of waiting.values()) answer({ ok: false, error: { code: "LOS_E_CLOSED", message: "the agent stopped" } });
    waiting.clear();
    port.send({ t: "stopped" });
    port.close();
  };

  let started = false;
  const init = async (m: Extract<ToAgent, { t: "init" }>) => {
    if (started) return;
    started = true;
    const logger = portLogger(port, {});
    try {
      const agent = await createAgentFromConfig(m.manifest, m.configDir);
      runtime = new AgentRuntime({
        clock: systemClock,
        logger,
        live,
        actuate: (_actor, point, value, reason, key) =>
          request((id) => (key === undefined ? { t: "actuate", id, point, value, reason } : { t: "actuate", id, point, value, reason, key })) as Promise<ActuationResult>,
        coordinate: (_actor, req) => request((id) => ({ t: "coordinate", id, request: req })) as Promise<CoordinationReply>,
        publish: async (_agentId, subtopic, payload) => void (await request((id) => ({ t: "publish", id, subtopic, payload }))),
        onFailed: () => {
          const last = runtime?.stats()[0]?.lastError;
          port.send({ t: "failed", code: "LOS_E_AGENT_FAILED", message: last?.message ?? "too many failed decisions" });
        },
      });
      runtime.add(agent);
      agentId = agent.id;
      runtime.start();
    } catch (err) {
      const e = toLosError(err, "LOS_E_AGENT_CONFIG");
      // the permission model refused something the module does while it is built (process agents)
      const denied = isAccessDenied(err) || isAccessDenied(e.cause);
      port.send({ t: "failed", code: denied ? "LOS_E_AGENT_FORBIDDEN" : e.code, message: e.message });
      return;
    }
    heartbeat = setInterval(beat, m.heartbeatMs);
    port.send({ t: "ready", skills: newSkills() ?? [] });
    beat();
  };

  port.onMessage((m) => {
    switch (m.t) {
      case "init":
        void init(m);
        break;
      case "readings":
        live.update(m.readings);
        runtime?.deliver(m.readings);
        break;
      case "reply":
        waiting.get(m.id)?.(m.envelope);
        waiting.delete(m.id);
        break;
      case "ask":
        answer(m.id, m.question);
        break;
      case "stop":
        void leave();
        break;
    }
  });
}
