/**
 * Where an external host hears its agent. The in-process BusClient does not say who published a
 * message, and an external host must know which connection speaks for its agent (a session is one
 * MQTT connection), so this listens to aedes's `publish` and `clientDisconnect` events directly. One
 * listener pair per broker serves every external agent, dispatching by the agent's topic prefix.
 */
import type { Aedes, AedesPublishPacket, Client } from "aedes";
import type { Logger } from "../../core/types.js";
import { AGENT_REQUEST_KINDS, type AgentRequestKind } from "../../core/topics.js";

export interface AgentBusHandlers {
  /** a message an MQTT client published on `<prefix>/<kind>` (in-process publishers are ignored) */
  message(kind: AgentRequestKind, payload: Buffer, client: Client): void;
  /** a network client's connection ended (any client: the handler compares with its own) */
  disconnected(client: Client): void;
}

interface Dispatcher {
  byPrefix: Map<string, Set<AgentBusHandlers>>;
  all: Set<AgentBusHandlers>;
}

const KINDS: ReadonlySet<string> = new Set(AGENT_REQUEST_KINDS);
const dispatchers = new WeakMap<Aedes, Dispatcher>();

function dispatcherOf(aedes: Aedes, logger: Logger): Dispatcher {
  const d = dispatchers.get(aedes);
  if (d) return d;
  const created: Dispatcher = { byPrefix: new Map(), all: new Set() };
  const safely = (f: () => void) => {
    try {
      f();
    } catch (err) {
      logger.error({ code: "LOS_E_INTERNAL", err }, "external agent handler threw");
    }
  };
  aedes.on("publish", (packet: AedesPublishPacket, client: Client | null) => {
    if (!client) return;
    const slash = packet.topic.lastIndexOf("/");
    const set = created.byPrefix.get(packet.topic.slice(0, slash));
    if (!set) return;
    const kind = packet.topic.slice(slash + 1);
    if (!KINDS.has(kind)) return;
    const payload = typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload;
    for (const h of [...set]) safely(() => h.message(kind as AgentRequestKind, payload, client));
  });
  aedes.on("clientDisconnect", (client: Client) => {
    for (const h of [...created.all]) safely(() => h.disconnected(client));
  });
  dispatchers.set(aedes, created);
  return created;
}

/** Listen to one agent's requests (topics `<prefix>/<kind>`); returns the function that stops it. */
export function watchAgent(aedes: Aedes, prefix: string, handlers: AgentBusHandlers, logger: Logger): () => void {
  const d = dispatcherOf(aedes, logger);
  let set = d.byPrefix.get(prefix);
  if (!set) d.byPrefix.set(prefix, (set = new Set()));
  set.add(handlers);
  d.all.add(handlers);
  return () => {
    set.delete(handlers);
    if (set.size === 0 && d.byPrefix.get(prefix) === set) d.byPrefix.delete(prefix);
    d.all.delete(handlers);
  };
}

/** Close a client's connection (a session the gateway no longer wants). */
export function disconnectClient(client: Client): void {
  if (client.closed) return;
  client.close();
}
