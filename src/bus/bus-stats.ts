/** Counters the broker keeps for `stats()`, the metrics endpoint and the logs. */

export interface BusStats {
  /** clients currently connected (CONNACK 0 sent, not yet gone) */
  clients: number;
  connectsAccepted: number;
  /** CONNECTs refused for any reason (bad credentials, identifier rejected, rate limit…) */
  connectsRefused: number;
  authFailures: number;
  /** authentication failures by remote address (the most recent 256 addresses) */
  authFailuresByIp: Record<string, number>;
  /** CONNECTs refused without checking the password because the address failed too often */
  rateLimited: number;
  /** MQTT-3.1.3-8: empty client id with clean session 0 */
  identifierRejected: number;
  payloadTooLarge: number;
  topicRejected: number;
  notAuthorized: number;
  protocolErrors: number;
  /** PUBLISHes held back because their client was over its messagesPerSecond */
  publishThrottled: number;
  /** clients disconnected because their held-back backlog was full */
  publishFloodDisconnects: number;
}

export type BusCounter = Exclude<keyof BusStats, "clients" | "authFailuresByIp">;

const MAX_IPS = 256;

export class BusStatsCollector {
  #counters: Record<BusCounter, number> = {
    connectsAccepted: 0,
    connectsRefused: 0,
    authFailures: 0,
    rateLimited: 0,
    identifierRejected: 0,
    payloadTooLarge: 0,
    topicRejected: 0,
    notAuthorized: 0,
    protocolErrors: 0,
    publishThrottled: 0,
    publishFloodDisconnects: 0,
  };
  #byIp = new Map<string, number>();

  inc(counter: BusCounter): void {
    this.#counters[counter]++;
  }

  authFailure(ip: string): void {
    this.#counters.authFailures++;
    const n = (this.#byIp.get(ip) ?? 0) + 1;
    this.#byIp.delete(ip); // re-insert: Map order keeps the most recent last
    this.#byIp.set(ip, n);
    if (this.#byIp.size > MAX_IPS) {
      const oldest = this.#byIp.keys().next().value;
      if (oldest !== undefined) this.#byIp.delete(oldest);
    }
  }

  snapshot(clients: number): BusStats {
    return { clients, ...this.#counters, authFailuresByIp: Object.fromEntries(this.#byIp) };
  }
}
