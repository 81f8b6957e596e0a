/**
 * One call to stand up a simulated serial device: a GPS, a weather station, a command/response
 * sensor, a binary-frame sensor or a CSV/JSON line sensor, on a serial port or a pty pair it makes
 * itself, writing at the pace of the baud rate, with line faults and cable unplug/replug.
 * Prints nothing.
 */
import { systemClock, type Clock, type TimerHandle } from "../../src/core/clock.js";
import { LosError } from "../../src/core/errors.js";
import { RequestLineBuffer } from "./command-sensor.js";
import { SerialFaultInjector, type SerialFaultMode } from "./serial-faults.js";
import { createSerialDevice, type SerialDeviceOptions } from "./serial-devices.js";
import { SerialLine } from "./serial-line.js";
import { isResponding, SERIAL_MODEL_KINDS, type SerialDevice, type SerialModelKind } from "./serial-message.js";

export interface SerialSimulatorOptions extends Partial<Pick<SerialDeviceOptions, "gps" | "weather" | "sensor" | "command">> {
  model: SerialModelKind;
  /** Serve on this serial port or pty end (exclusive with `pty`). */
  path?: string;
  /** Make a socat pty pair and serve on one end; `handle.path` is the other, for the driver. */
  pty?: boolean;
  /** Directory for the pty links (default: a new temporary directory, removed on close). */
  ptyDir?: string;
  /** Default 9600. */
  baudRate?: number;
  /** Talking devices send once per period, in clock ms (default 1000). */
  periodMs?: number;
  /** "period" (default), or "max": send the next period's messages as soon as the last are on the wire. */
  rate?: "period" | "max";
  /** Limit writes to baudRate/10 bytes per second (default true). */
  pace?: boolean;
  /** Command sensor: clock ms between a request and its answer (default 10). */
  responseDelayMs?: number;
  /** Default systemClock (timers unref'd). */
  clock?: Clock;
  /** Default 1. */
  seed?: number;
  faults?: SerialFaultInjector;
}

export interface SerialSimulatorStats {
  plugged: boolean;
  /** Messages (sentences, lines, frames, replies) handed to the wire. */
  messages: number;
  /** Command requests received. */
  requests: number;
  bytesWritten: number;
  bytesQueued: number;
  /** Periods skipped because the wire still held more than a second of earlier output. */
  overruns: number;
  faults: Record<SerialFaultMode | "unplug" | "replug", number>;
}

export interface SerialSimulator {
  /** The end the driver opens. */
  readonly path: string;
  /** The end the simulator serves. */
  readonly simulatorPath: string;
  readonly model: SerialModelKind;
  readonly device: SerialDevice;
  readonly faults: SerialFaultInjector;
  readonly plugged: boolean;
  stats(): SerialSimulatorStats;
  /** Pull the cable: the port closes and (pty) the path disappears. */
  unplug(): Promise<void>;
  /** Plug it back: same path. */
  replug(): Promise<void>;
  close(): Promise<void>;
}

/** Unpaced output beyond this many unwritten bytes counts as an overrun. */
const UNPACED_BACKLOG = 64 * 1024;

export async function startSerialSimulator(options: SerialSimulatorOptions): Promise<SerialSimulator> {
  if (!SERIAL_MODEL_KINDS.includes(options.model)) {
    throw new LosError("LOS_E_SIM_START", `unknown serial simulator model "${String(options.model)}"; use one of ${SERIAL_MODEL_KINDS.join(", ")}`);
  }
  const periodMs = options.periodMs ?? 1000;
  if (!(periodMs > 0)) throw new LosError("LOS_E_SIM_START", `periodMs must be > 0, got ${periodMs}`);
  const responseDelayMs = options.responseDelayMs ?? 10;
  if (!(responseDelayMs >= 0)) throw new LosError("LOS_E_SIM_START", `responseDelayMs must be >= 0, got ${responseDelayMs}`);
  const clock = options.clock ?? systemClock;
  const seed = options.seed ?? 1;
  let device: SerialDevice;
  try {
    device = createSerialDevice(options.model, { ...options, seed, startMs: clock.now() });
  } catch (err) {
    throw err instanceof LosError ? err : new LosError("LOS_E_SIM_START", (err as Error).message, { cause: err });
  }
  const faults = options.faults ?? new SerialFaultInjector({ seed });
  const counts = { messages: 0, requests: 0, overruns: 0, unplug: 0, replug: 0 };
  const timers = new Set<TimerHandle>();
  const requests = new RequestLineBuffer();
  let closed = false;
  let last = clock.monotonic();
  const maxRate = (options.rate ?? "period") === "max";

  const stepToNow = () => {
    const now = clock.monotonic();
    device.step(now - last);
    last = now;
  };
  const later = (fn: () => void, ms: number) => {
    const handle = clock.setTimeout(() => {
      timers.delete(handle);
      if (!closed) fn();
    }, ms);
    handle.unref?.();
    timers.add(handle);
  };
  const line = await SerialLine.open({
    path: options.path,
    pty: options.pty,
    ptyDir: options.ptyDir,
    baudRate: options.baudRate ?? 9600,
    pace: options.pace ?? true,
    clock,
    // "max" rate: the next period goes out the moment the wire is free.
    onDrain: () => {
      if (maxRate && !closed) void emitOnce();
    },
    onData: (chunk) => {
      if (closed || !isResponding(device)) return;
      for (const request of requests.push(chunk)) {
        counts.requests++;
        stepToNow();
        const reply = device.answer(request);
        if (!reply) continue;
        const send = () => {
          if (!line.plugged) return;
          counts.messages++;
          void line.send(faults.apply(reply));
        };
        if (responseDelayMs === 0) send();
        else later(send, responseDelayMs);
      }
    },
  });

  /** One period's messages onto the wire; resolves when they are all written. */
  const emitOnce = (): Promise<void> => {
    if (isResponding(device) || closed || !line.plugged) return Promise.resolve();
    stepToNow();
    const backlog = line.bytesPerSecond === Infinity ? UNPACED_BACKLOG : line.bytesPerSecond;
    if (line.queued > backlog) {
      counts.overruns++;
      return Promise.resolve();
    }
    const messages = device.emit(clock.now());
    counts.messages += messages.length;
    return Promise.all(messages.map((m) => line.send(faults.apply(m)))).then(() => undefined);
  };

  if (!isResponding(device)) {
    if (maxRate) void emitOnce();
    else {
      const tick = () => {
        if (line.plugged) void emitOnce();
        later(tick, periodMs);
      };
      tick();
    }
  }

  return {
    path: line.path,
    get simulatorPath() {
      return line.simulatorPath;
    },
    model: options.model,
    device,
    faults,
    get plugged() {
      return line.plugged;
    },
    stats: () => ({
      plugged: line.plugged,
      messages: counts.messages,
      requests: counts.requests,
      bytesWritten: line.bytesWritten,
      bytesQueued: line.queued,
      overruns: counts.overruns,
      faults: { ...faults.counts(), unplug: counts.unplug, replug: counts.replug },
    }),
    async unplug() {
      if (closed || !line.plugged) return;
      counts.unplug++;
      await line.unplug();
    },
    async replug() {
      if (closed) throw new LosError("LOS_E_CLOSED", "the serial simulator is closed");
      if (line.plugged) return;
      await line.replug();
      counts.replug++;
      if (maxRate) void emitOnce();
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const handle of timers) clock.clearTimeout(handle);
      timers.clear();
      await line.close();
    },
  };
}
