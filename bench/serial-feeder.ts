/**
 * A serial line kept exactly at the wire limit for the serial bench: lines made by the simulators'
 * device models (CSV sensor, GPS) are written to one end of a socat pty pair by a token bucket that
 * releases baud/10 bytes per elapsed second, in batches every few ms. The simulators' own `rate:
 * "max"` loses time between short messages (about half the wire for 17-byte CSV lines), which
 * would make the bench measure the simulator instead of the gateway.
 */
import { SerialPort } from "serialport";
import { createPtyPair, type PtyPair } from "../simulators/serial/pty-pair.js";
import { GpsDevice } from "../simulators/serial/gps-device.js";
import { LineSensorDevice } from "../simulators/serial/line-sensor.js";

export interface WireFeeder {
  /** the end the gateway opens */
  path: string;
  bytesWritten(): number;
  linesWritten(): number;
  close(): Promise<void>;
}

/** `lines` messages of the model, stepping its physics 1 s between sets. */
function makeLines(model: "csv" | "gps", count: number): Buffer[] {
  const out: Buffer[] = [];
  const device = model === "csv" ? new LineSensorDevice("csv", { seed: 1 }) : new GpsDevice({ seed: 1 });
  let now = Date.UTC(2026, 0, 1);
  while (out.length < count) {
    device.step(1000);
    now += 1000;
    for (const m of device.emit(now)) out.push(m.bytes);
  }
  return out;
}

export async function startWireFeeder(model: "csv" | "gps", baudRate: number): Promise<WireFeeder> {
  const pair: PtyPair = await createPtyPair();
  const port = new SerialPort({ path: pair.a, baudRate, autoOpen: false });
  await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
  port.on("error", () => undefined);
  const lines = makeLines(model, 2000);
  const bytesPerMs = baudRate / 10 / 1000;
  const start = performance.now();
  let sent = 0;
  let count = 0;
  let next = 0;
  let closed = false;
  const tick = (): void => {
    if (closed) return;
    const owed = Math.floor((performance.now() - start) * bytesPerMs) - sent;
    const batch: Buffer[] = [];
    let size = 0;
    // whole lines only: a line goes out once the wire would have finished its last byte
    while (size + lines[next % lines.length]!.length <= owed) {
      const line = lines[next++ % lines.length]!;
      batch.push(line);
      size += line.length;
    }
    if (size > 0) {
      sent += size;
      count += batch.length;
      port.write(Buffer.concat(batch));
    }
    setTimeout(tick, 4);
  };
  tick();
  return {
    path: pair.b,
    bytesWritten: () => sent,
    linesWritten: () => count,
    close: async () => {
      closed = true;
      await new Promise<void>((res) => (port.isOpen ? port.close(() => res()) : res()));
      await pair.close();
    },
  };
}
