/**
 * Command/response over one serial port: every request of every device on the port goes through
 * the core RequestQueue (one command in flight, writes ahead of polls, interFrameDelayMs between
 * them). A request writes one line and waits for the next answer line that carries the device's
 * address prefix (answers for other addresses belong to another request and are ignored), up to
 * its timeout (LOS_E_DEVICE_TIMEOUT). Nothing here throws from a timer.
 */
import type { Clock, TimerHandle } from "../../core/clock.js";
import { LosError } from "../../core/errors.js";
import { RequestQueue, type RequestPriority } from "../request-queue.js";

export interface CommandRequest {
  /** the text to send, prefix included, without line ending */
  text: string;
  /** answers must start with this; it is removed from the answer */
  prefix: string;
  timeoutMs: number;
  priority: RequestPriority;
  /** identical polls waiting at once share one request */
  key?: string;
}

interface Pending {
  prefix: string;
  resolve: (answer: string) => void;
  reject: (err: LosError) => void;
  timer: TimerHandle;
}

export interface CommandTransportOptions {
  clock: Clock;
  eol: string;
  interFrameDelayMs?: number;
  maxQueued?: number;
  write: (bytes: Buffer) => Promise<void>;
  connected: () => boolean;
  /** why the port is not open (missing, busy, lost), for requests refused meanwhile */
  portError?: () => LosError | undefined;
  /** every failed request, for the port's health */
  onError?: (err: LosError) => void;
}

export class CommandTransport {
  readonly queue: RequestQueue;
  readonly #o: CommandTransportOptions;
  #pending: Pending | undefined;
  requests = 0;
  failures = 0;
  timeouts = 0;
  /** answer lines that matched no request */
  unsolicited = 0;
  latencyMs: number | undefined;
  lastError: LosError | undefined;

  constructor(o: CommandTransportOptions) {
    this.#o = o;
    this.queue = new RequestQueue({ clock: o.clock, maxInFlight: 1, interFrameDelayMs: o.interFrameDelayMs, maxQueued: o.maxQueued });
  }

  request(r: CommandRequest): Promise<string> {
    return this.queue.enqueue(() => this.#send(r), { priority: r.priority, key: r.key });
  }

  /** One answer line from the port. */
  onLine(line: string): void {
    const p = this.#pending;
    if (!p || !line.startsWith(p.prefix)) {
      if (line.trim() !== "") this.unsolicited++;
      return;
    }
    this.#pending = undefined;
    this.#o.clock.clearTimeout(p.timer);
    p.resolve(line.slice(p.prefix.length));
  }

  /** The port is gone: the request in flight cannot be answered. */
  portDown(err: LosError): void {
    const p = this.#pending;
    if (!p) return;
    this.#pending = undefined;
    this.#o.clock.clearTimeout(p.timer);
    p.reject(err);
  }

  close(): void {
    this.queue.close();
    this.portDown(new LosError("LOS_E_DRIVER_CLOSED"));
  }

  async #send(r: CommandRequest): Promise<string> {
    if (!this.#o.connected()) throw this.#fail(this.#o.portError?.() ?? new LosError("LOS_E_DEVICE_DISCONNECTED", "the serial port is not open"));
    const clock = this.#o.clock;
    const started = clock.monotonic();
    this.requests++;
    const answer = new Promise<string>((resolve, reject) => {
      const timer = clock.setTimeout(() => {
        if (this.#pending?.timer !== timer) return;
        this.#pending = undefined;
        this.timeouts++;
        reject(new LosError("LOS_E_DEVICE_TIMEOUT", `no answer to "${r.text}" within ${r.timeoutMs} ms`, { details: { command: r.text } }));
      }, r.timeoutMs);
      timer.unref?.();
      this.#pending = { prefix: r.prefix, resolve, reject, timer };
    });
    // never wait on the write itself: a port pulled mid-write may never call back, while the
    // answer always settles (answer, timeout, or portDown)
    const mine = this.#pending;
    this.#o.write(Buffer.from(r.text + this.#o.eol, "latin1")).catch((err: unknown) => {
      if (this.#pending === mine) this.portDown(err instanceof LosError ? err : new LosError("LOS_E_DEVICE_DISCONNECTED", String(err), { cause: err }));
    });
    try {
      const text = await answer;
      this.latencyMs = clock.monotonic() - started;
      return text;
    } catch (err) {
      throw this.#fail(err instanceof LosError ? err : new LosError("LOS_E_DEVICE_DISCONNECTED", String(err), { cause: err }));
    }
  }

  #fail(err: LosError): LosError {
    this.failures++;
    this.lastError = err;
    this.#o.onError?.(err);
    return err;
  }
}
