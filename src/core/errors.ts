/**
 * The one registry of coded errors. Every error the project raises on purpose carries a code from
 * this table; the table's text says what the user should do about it. Library errors are wrapped
 * at the edge that calls the library, with the original kept as `cause`.
 */
export const ERROR_CODES = {
  // usage and configuration
  LOS_E_USAGE: "The command line was not understood; run with --help.",
  LOS_E_CONFIG_NOT_FOUND: "The config file does not exist; check the path given with --config.",
  LOS_E_CONFIG_PARSE: "The file is not valid YAML; fix the syntax at the line shown.",
  LOS_E_CONFIG_INVALID: "The config does not match the schema; fix the value at the path shown.",
  LOS_E_PROFILE_NOT_FOUND: "The device profile named in the config does not exist under devices/.",
  LOS_E_PROFILE_INVALID: "The device profile does not match the schema or maps addresses wrongly.",
  LOS_E_SECRET_MISSING: "A secret (password, key) the config refers to is not set; set it in the environment or the data dir.",

  // devices and drivers
  LOS_E_DEVICE_TIMEOUT: "The device did not answer in time; check wiring, address, unit id and baud rate.",
  LOS_E_DEVICE_EXCEPTION: "The device answered with a protocol exception; check the register map and unit id.",
  LOS_E_DEVICE_BAD_FRAME: "A frame from the device was corrupt (bad CRC, wrong length or garbage); check wiring, termination and noise.",
  LOS_E_DEVICE_DISCONNECTED: "The connection to the device is down; the gateway keeps retrying with backoff.",
  LOS_E_DEVICE_UNKNOWN: "No device with this id is configured.",
  LOS_E_POINT_UNKNOWN: "No point with this name exists on the device.",
  LOS_E_CODEC: "A value could not be encoded or decoded with the point's type; check the profile's type and word order.",
  LOS_E_DRIVER_CLOSED: "The driver was closed while the request was waiting.",
  LOS_E_DEVICE_BUSY: "The connection's request queue is full and a poll was dropped; poll less often or split devices across connections.",
  LOS_E_DEVICE_STATUS: "The device answered with a bad status for this item (OPC-UA Bad* status code); see the status name in the message.",
  LOS_E_DEVICE_NODE_UNKNOWN: "The device has no such node or address (OPC-UA BadNodeIdUnknown); check the profile's node ids against `llmagentos browse opcua`.",
  LOS_E_DEVICE_AUTH: "The device refused the credentials (wrong user name, password or certificate identity); check the connection's identity and its secret.",
  LOS_E_DEVICE_CERT_UNTRUSTED: "The server's certificate is not trusted (unknown, rejected, expired or not yet valid); inspect it and run `llmagentos certs trust <thumbprint>` if it is the right server.",
  LOS_E_DEVICE_SECURITY: "The endpoint does not offer the security mode and policy the connection asks for; see the endpoints listed in the message.",
  LOS_E_SERIAL_PORT_MISSING: "The serial port does not exist (unplugged, or the wrong path); the gateway retries until it comes back.",
  LOS_E_SERIAL_PORT_BUSY: "The serial port is already in use by another program or connection; stop it or pick another port.",
  LOS_E_DEVICE_NO_VALUE: "The device sent the record without this value (an empty NMEA field, e.g. no GPS fix yet); the point stays bad until the device reports one.",
  LOS_E_DEVICE_CHECKSUM: "A line or frame from the device failed its checksum (NMEA *hh, frame CRC); check wiring, baud rate and noise.",
  LOS_E_DISCOVERY_UNREACHABLE: "Discovery could not reach anything at that address; check the host, port or serial path and the device's power and wiring.",
  LOS_E_CERT_UNKNOWN: "No certificate with that thumbprint is in the OPC-UA certificate store; run `llmagentos certs list` to see the thumbprints.",

  // actuation (one path: capability, lease, envelope, driver, audit)
  LOS_E_WRITE_NOT_PERMITTED: "The caller has no capability to write this point; grant it in the agent or tenant config.",
  LOS_E_WRITE_READ_ONLY: "The point is read-only in its profile.",
  LOS_E_WRITE_TYPE: "The value has the wrong type for the point (number, boolean or string expected as the profile says).",
  LOS_E_WRITE_OUT_OF_RANGE: "The value is outside the point's envelope (min/max).",
  LOS_E_WRITE_RATE: "The change is faster than the envelope's max rate per second; step towards the target.",
  LOS_E_WRITE_INTERLOCK: "An interlock on another point forbids this write now.",
  LOS_E_WRITE_FAILED: "The driver could not deliver the write; see the cause.",
  LOS_E_READ_NOT_PERMITTED: "The agent has no capability to read this point; add it to capabilities.read.",
  LOS_E_PUBLISH_NOT_PERMITTED: "The agent may only publish under its own out/ prefix, on sub-topics granted in capabilities.publish.",

  // bus
  LOS_E_BUS_AUTH: "MQTT authentication failed; check the username and password.",
  LOS_E_BUS_NOT_AUTHORIZED: "This MQTT client may not publish or subscribe to that topic.",
  LOS_E_BUS_PAYLOAD_TOO_LARGE: "The MQTT payload exceeds the broker's limit (bus.limits.maxPayloadBytes).",
  LOS_E_BUS_TOPIC_INVALID: "The MQTT topic is too deep, too long or malformed.",
  LOS_E_BUS_PROTOCOL: "The MQTT client broke a rule of the protocol and was refused.",
  LOS_E_BUS_LISTEN: "A broker listener could not bind; check the host and port in bus.listeners.",

  // store
  LOS_E_STORE_OPEN: "The SQLite store could not be opened; check the data dir's permissions and free space.",
  LOS_E_STORE_MIGRATION: "A store migration failed; the database was left at its previous version.",
  LOS_E_STORE_VERSION: "The database's schema version does not match this code (written by a newer LLMAgentOS, or not yet migrated); upgrade the gateway, or start it once to migrate.",
  LOS_E_STORE_WRITE: "Writing to the store failed (disk full or I/O error); buffered rows are kept and retried; free space on the data dir's disk.",
  LOS_E_STORE_QUERY: "The store query's arguments are invalid (time range, limit or bucket size); fix the call.",

  // agents
  LOS_E_AGENT_UNKNOWN: "No agent with this id is running.",
  LOS_E_AGENT_FAILED: "The agent's decision code threw; it was isolated and the gateway keeps running.",
  LOS_E_AGENT_CONFIG: "The agent's configuration is invalid for its policy kind.",
  LOS_E_AGENT_CRASHED: "The agent's process or worker exited unexpectedly; the supervisor restarts it as its restart policy says.",
  LOS_E_AGENT_HUNG: "The agent stopped answering heartbeats (a busy loop or a blocked event loop) and was stopped by the watchdog.",
  LOS_E_AGENT_OUT_OF_MEMORY: "The agent went over its heap limit (limits.heapMB) and was stopped; raise the limit or fix the leak.",
  LOS_E_AGENT_RESTART_LIMIT: "The agent failed more often than its restart policy allows (restart.maxRestarts within restart.withinMs) and stays failed; fix it and restart the gateway.",
  LOS_E_AGENT_RATE_LIMITED: "The agent sent more messages or actuations than its limits allow; the excess was refused.",
  LOS_E_AGENT_FORBIDDEN: "The agent tried something its isolation forbids (files, sockets, child processes); it was refused.",
  LOS_E_AGENT_PROTOCOL: "A message from an isolated or external agent was malformed; see docs/agent-protocol.md.",
  LOS_E_AGENT_START_TIMEOUT: "The agent did not report ready in time; check its module and its log.",
  LOS_E_AGENT_CPU_SHARE: "The agent's worker thread used more CPU than its share (limits.cpuPercent, default half a core); it keeps running at idle priority. Raise the share or make it a process agent.",
  LOS_E_AGENT_SANDBOX: "The agent's sandbox could not be set up (bubblewrap missing, no permission, no cgroup); see the message.",
  LOS_E_TENANT_QUOTA: "The tenant's quota (agents, heap, CPU, message or actuation rate) does not allow this; raise the quota or lower the agents' limits.",
  LOS_E_BUS_RATE_LIMITED: "The MQTT client published faster than its limit; the excess was refused.",

  // tasks and coordination (contract net, negotiation, leases, facts)
  LOS_E_TASK_INVALID: "The task is malformed (type, priority 0-9, deadline in the future, known allocation); see docs/tasks.md.",
  LOS_E_TASK_DUPLICATE: "A task with this id already exists; give a new id or leave it out to have one generated.",
  LOS_E_TASK_UNKNOWN: "No task with this id exists.",
  LOS_E_TASK_STATE: "The task is not in a state that allows this (e.g. cancelling a finished task).",
  LOS_E_TASK_STALE: "The report carries an old attempt: the task was taken from this agent and given to another.",
  LOS_E_TASK_NO_BIDS: "No eligible agent bid acceptably (none with the required skills, all silent, or all past the reserve) in the allowed rounds.",
  LOS_E_TASK_CONFIRM_TIMEOUT: "The winner did not confirm the award in time; the next bid is tried.",
  LOS_E_TASK_LEASE_EXPIRED: "The agent running the task stopped renewing its lease (died, hung or cut off); the task is announced again.",
  LOS_E_TASK_DEADLINE: "The task's deadline passed before it was done.",
  LOS_E_BID_INVALID: "The bid is malformed: value must be a finite number, quantity positive and at most what was asked.",
  LOS_E_BID_LATE: "The bid arrived after the call's deadline (gateway clock) and was not counted.",
  LOS_E_BID_NOT_INVITED: "The agent was not asked to bid on this task, or the round is over.",
  LOS_E_NEGOTIATION_SHORT: "The negotiation ended with less than the target covered; the task holds what was agreed.",
  LOS_E_LEASE_CONFLICT: "Another agent holds or has reserved this actuator now; wait for its lease to end or coordinate through a task.",
  LOS_E_LEASE_NOT_HELD: "The agent does not hold this lease (it expired or was never granted).",
  LOS_E_LEASE_INVALID: "The lease request is malformed (ttlMs 100 ms to 1 h, a reservation window in the future, a writable point).",
  LOS_E_FACT_INVALID: "The fact is malformed (key of letters, digits, . _ - / up to 128 characters; JSON value up to 16 KiB; ttlMs positive).",
  LOS_E_FACT_FORBIDDEN: "The caller may not write facts in this scope (an agent writes its own, its tenant's and, if trusted, site facts).",
  LOS_E_ALLOCATION_SOLVER: "The linear-program solver failed or found no feasible allocation; see the message.",

  // simulators
  LOS_E_SIM_START: "A simulator could not start (port in use, serial path missing, socat not installed); see the message and cause.",

  // requests over MQTT or HTTP
  LOS_E_REQUEST_INVALID: "The request is malformed; see the message for the expected shape.",
  LOS_E_GATEWAY_UNREACHABLE: "The command got no answer from the running gateway over MQTT; check that it runs, --url and the credentials.",

  // generic
  LOS_E_CLOSED: "The component is closed.",
  LOS_E_INTERNAL: "An unexpected internal error; please report it with the log.",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface LosErrorOptions {
  cause?: unknown;
  /** Structured facts for logs and API replies (file, path, point, value…). */
  details?: Record<string, unknown>;
}

export class LosError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message?: string, options: LosErrorOptions = {}) {
    super(message ?? ERROR_CODES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "LosError";
    this.code = code;
    this.details = options.details ?? {};
  }

  /** What to do about it: the registry's advice. */
  get hint(): string {
    return ERROR_CODES[this.code];
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    const out: { code: ErrorCode; message: string; details?: Record<string, unknown> } = {
      code: this.code,
      message: this.message,
    };
    if (Object.keys(this.details).length > 0) out.details = this.details;
    return out;
  }
}

export function isLosError(err: unknown, code?: ErrorCode): err is LosError {
  return err instanceof LosError && (code === undefined || err.code === code);
}

/** Wrap anything thrown into a LosError, keeping coded errors as they are. */
export function toLosError(err: unknown, fallback: ErrorCode = "LOS_E_INTERNAL"): LosError {
  if (err instanceof LosError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new LosError(fallback, message, { cause: err });
}

/** The reply envelope used for every request over MQTT and HTTP. */
export type Envelope<T> =
  | { ok: true; data: T; correlationId?: string }
  | { ok: false; error: { code: ErrorCode; message: string; details?: Record<string, unknown> }; correlationId?: string };

export function okEnvelope<T>(data: T, correlationId?: string): Envelope<T> {
  return correlationId === undefined ? { ok: true, data } : { ok: true, data, correlationId };
}

export function errorEnvelope<T = never>(err: unknown, correlationId?: string): Envelope<T> {
  const e = toLosError(err);
  const out: Envelope<T> = { ok: false, error: e.toJSON() };
  if (correlationId !== undefined) out.correlationId = correlationId;
  return out;
}
