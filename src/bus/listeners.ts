/**
 * Network listeners of the broker: MQTT over TCP (node:net) and MQTT over WebSocket (ws, path
 * `/mqtt`, subprotocol `mqtt`). A listener only accepts sockets and hands each one, as a Duplex,
 * to the broker; it owns the sockets it accepted so that close() leaves no handle behind.
 */
import { createServer as createHttpServer, type IncomingMessage } from "node:http";
import { createServer as createNetServer, isIPv4, type AddressInfo, type Server, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { WebSocketServer } from "ws";
import { LosError } from "../core/errors.js";
import type { ConnectionMeta } from "./authenticate.js";

export interface ListenerSpec {
  kind: "tcp" | "ws";
  host: string;
  /** 0 lets the OS choose */
  port: number;
  /** accept clients without username; only allowed on a loopback host */
  allowAnonymous?: boolean;
}

export interface BoundListener {
  kind: "tcp" | "ws";
  host: string;
  port: number;
}

export type ConnectionHandler = (stream: Duplex, meta: ConnectionMeta, req?: IncomingMessage) => void;

export const WS_PATH = "/mqtt";

/** 127.0.0.0/8, ::1, localhost (and IPv4-mapped 127.x). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const v4 = h.startsWith("::ffff:") ? h.slice(7) : h;
  return isIPv4(v4) && v4.startsWith("127.");
}

export class Listener {
  readonly spec: ListenerSpec;
  #server: Server;
  #wss?: WebSocketServer;
  #sockets = new Set<Socket>();
  #port = 0;

  private constructor(spec: ListenerSpec, server: Server, wss?: WebSocketServer) {
    this.spec = spec;
    this.#server = server;
    if (wss) this.#wss = wss;
    server.on("connection", (s: Socket) => {
      this.#sockets.add(s);
      s.once("close", () => this.#sockets.delete(s));
    });
  }

  static async start(spec: ListenerSpec, onConnection: ConnectionHandler, maxWsMessageBytes: number): Promise<Listener> {
    const meta = (ip: string | undefined): ConnectionMeta => ({
      listener: spec.kind,
      host: spec.host,
      port: 0,
      allowAnonymous: spec.allowAnonymous === true,
      ip: ip ?? "unknown",
    });
    let listener: Listener;
    if (spec.kind === "tcp") {
      const server = createNetServer({ noDelay: true }, (socket) => {
        onConnection(socket, { ...meta(socket.remoteAddress), port: listener.port });
      });
      listener = new Listener(spec, server);
    } else {
      const server = createHttpServer((_req, res) => {
        res.writeHead(426, { "content-type": "text/plain", upgrade: "websocket" });
        res.end(`MQTT over WebSocket: connect to ${WS_PATH} with subprotocol mqtt\n`);
      });
      // loaded only for a WebSocket listener: ws and what it pulls in (http, tls, zlib) cost 3–6 MB
      // RSS in a gateway that has none (docs/bench.md)
      const { createWebSocketStream, WebSocketServer } = await import("ws");
      const wss = new WebSocketServer({
        server,
        path: WS_PATH,
        maxPayload: maxWsMessageBytes,
        perMessageDeflate: false,
        handleProtocols: (protocols) =>
          protocols.has("mqtt") ? "mqtt" : protocols.has("mqttv3.1") ? "mqttv3.1" : false,
      });
      wss.on("connection", (ws, req) => {
        const stream = createWebSocketStream(ws);
        stream.on("error", () => stream.destroy());
        onConnection(stream, { ...meta(req.socket.remoteAddress), port: listener.port }, req);
      });
      wss.on("error", () => {}); // errors surface on the http server
      listener = new Listener(spec, server, wss);
    }
    await listener.#listen();
    return listener;
  }

  #listen(): Promise<void> {
    const { host, port, kind } = this.spec;
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => {
        reject(
          new LosError("LOS_E_BUS_LISTEN", `the ${kind} listener cannot bind ${host}:${port}: ${err.message}`, {
            cause: err,
            details: { kind, host, port },
          }),
        );
      };
      this.#server.once("error", onError);
      this.#server.listen(port, host, () => {
        this.#server.off("error", onError);
        this.#port = (this.#server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  get port(): number {
    return this.#port;
  }

  bound(): BoundListener {
    return { kind: this.spec.kind, host: this.spec.host, port: this.#port };
  }

  /** Stop accepting, drop every socket this listener accepted, resolve when the server is closed. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      if (!this.#server.listening) return resolve();
      this.#server.close(() => resolve());
    });
    for (const ws of this.#wss?.clients ?? []) ws.terminate();
    this.#wss?.close();
    for (const s of this.#sockets) s.destroy();
    await closed;
  }
}
